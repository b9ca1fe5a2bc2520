"""Deeplearning4j's dialect: its model files (ND4J arrays, ``MultiLayerNetwork.save`` zips)."""

from .configuration import (
    ConfigurationError,
    LayerRecord,
    NetworkDescription,
    NetworkFile,
    PreprocessorRecord,
    UnsupportedLayerError,
    parse_configuration,
    read_network_zip,
)
from .nd4j import ND4JFileError, ndarray_bytes, read_ndarray, write_ndarray
from .parameters import ParamSpec, join_coefficients, parameter_count, parameter_layout, split_coefficients

__all__ = [
    "ConfigurationError",
    "LayerRecord",
    "ND4JFileError",
    "NetworkDescription",
    "NetworkFile",
    "ParamSpec",
    "PreprocessorRecord",
    "UnsupportedLayerError",
    "join_coefficients",
    "ndarray_bytes",
    "parameter_count",
    "parameter_layout",
    "parse_configuration",
    "read_ndarray",
    "read_network_zip",
    "split_coefficients",
    "write_ndarray",
]
