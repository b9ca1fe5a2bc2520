"""Argument tables: each layer family states its constructor arguments once.

A family lists its Keras arguments as :class:`Argument` rows, in Keras's
order. The table is the family's whole front end: it is the constructor's
signature (``inspect.signature(Conv2D)``), it canonicalises what a user passed
(each row's ``normalize``, with Keras-style errors that name the layer), and,
read back from the family's canonical spec, it writes ``get_config`` and the
``repr``. The rows that recur across families (``filters``, ``kernel_size``,
``padding``, the per-weight ``<role>_initializer`` options...) are defined here
once, so no constructor or config body is spelled twice.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, ClassVar, Mapping, Sequence

from .. import activations, constraints, initializers, regularizers
from ..geometry import (
    PADDING_MODES,
    OutputSize,
    normalize_data_format,
    normalize_output_padding,
    normalize_padding,
    normalize_positive_int,
    normalize_tuple,
    serialize_padding,
)

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Context:
    """What a row's ``normalize`` may read: the layer's display name, its rank and the rows canonicalised so far."""

    owner: str
    rank: int | None
    values: Mapping[str, Any]
    resolve_option: Callable[[Any, str, Any], Any]


def _same(value: Any, context: Context | None = None) -> Any:
    return value


def _always(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Argument:
    """One constructor argument of a layer family.

    Attributes:
        name: Keras's name for it (and the config key).
        default: the default value (``REQUIRED``: none).
        normalize: ``(value, context) -> canonical value``; raises ``ValueError`` /
            ``TypeError`` naming ``context.owner``, the argument and the value.
        serialize: canonical value -> its config form.
        in_config: whether a canonical value is written to the config (Keras omits some at their default).
        in_repr: whether the layer's ``repr`` shows it.
        show: canonical value -> what the ``repr`` shows.
        settable: whether ``layer.<name> = value`` may replace it after construction (Keras users
            set ``layer.activation = None`` to get logits); the others are fixed with the weights.
    """

    name: str
    default: Any = REQUIRED
    normalize: Callable[[Any, Context], Any] = _same
    serialize: Callable[[Any], Any] = _same
    in_config: Callable[[Any], bool] = _always
    in_repr: bool = False
    show: Callable[[Any], Any] = _same
    settable: bool = False


def positive_int(name: str, default: Any = REQUIRED, *, in_repr: bool = True) -> Argument:
    """An ``int > 0`` (``filters``, ``units``, ``depth_multiplier``)."""
    return Argument(name, default, lambda value, c: normalize_positive_int(value, name, c.owner), in_repr=in_repr)


def int_tuple(name: str, default: Any = REQUIRED, *, in_repr: bool = True, when_none: str | None = None) -> Argument:
    """An int or ``rank`` ints, each ``> 0`` (``kernel_size``, ``strides``...); ``when_none``: the row ``None`` copies."""

    def normalize(value: Any, c: Context) -> tuple[int, ...]:
        if value is None and when_none is not None:
            value = c.values[when_none]
        return normalize_tuple(value, c.rank, name, c.owner)

    return Argument(name, default, normalize, in_repr=in_repr)


def padding(modes: Sequence[str] = PADDING_MODES, *, dialect_rules: bool = True) -> Argument:
    """``padding``: a Keras mode name, ints, pairs or a padding rule, canonical as a :class:`~convlayers.geometry.PaddingRule`."""
    return Argument(
        "padding",
        "valid",
        lambda value, c: normalize_padding(value, c.rank, c.owner, modes=modes, dialect_rules=dialect_rules),
        serialize_padding,
        in_repr=True,
        show=lambda rule: rule.spelling,
    )


def groups(*, in_config: Callable[[int], bool] = _always) -> Argument:
    """``groups``: an ``int > 0`` that divides ``filters`` (read before it)."""

    def normalize(value: Any, c: Context) -> int:
        value = normalize_positive_int(value, "groups", c.owner)
        filters = c.values["filters"]
        if filters % value:
            raise ValueError(
                f"{c.owner}: the number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={value}, filters={filters}."
            )
        return value

    return Argument("groups", 1, normalize, in_config=in_config)


DATA_FORMAT = Argument("data_format", None, lambda value, c: normalize_data_format(value, c.owner), in_repr=True)
def _output_padding(value: Any, c: Context) -> tuple[int, ...] | None:
    if value is not None and isinstance(c.values["padding"], OutputSize):
        raise ValueError(
            f"{c.owner}: `output_padding` cannot be combined with requested output sizes "
            f"(padding={c.values['padding']!r}): the sizes already fix the output. Received output_padding={value!r}."
        )
    return normalize_output_padding(value, c.values["strides"], c.owner)


OUTPUT_PADDING = Argument("output_padding", None, _output_padding, in_repr=True)
ACTIVATION = Argument(
    "activation",
    None,
    lambda value, c: c.resolve_option(activations, "activation", value),
    activations.serialize,
    in_repr=True,
    show=activations.serialize,
    settable=True,
)
USE_BIAS = Argument("use_bias", True, lambda value, c: bool(value))
ACTIVITY_REGULARIZER = Argument(
    "activity_regularizer",
    None,
    lambda value, c: c.resolve_option(regularizers, "activity_regularizer", value),
    regularizers.serialize,
)

_OPTION_KINDS = (("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints))


def weight_options(*roles: tuple[str, Any], activity_in_config: bool = True) -> tuple[Argument, ...]:
    """``activation``, ``use_bias`` and Keras's per-weight options, in Keras's order.

    ``roles``: ``(role, default initializer)`` pairs (``("kernel", "glorot_uniform")``), giving
    ``<role>_initializer`` for each role, then ``<role>_regularizer`` for each and
    ``activity_regularizer``, then ``<role>_constraint`` for each. Keras's ``Dense``
    writes ``activity_regularizer`` only when one is set (``activity_in_config=False``).
    """
    rows = [ACTIVATION, USE_BIAS]
    for kind, registry in _OPTION_KINDS:
        for role, initializer in roles:
            name = f"{role}_{kind}"
            rows.append(
                Argument(
                    name,
                    initializer if kind == "initializer" else None,
                    lambda value, c, registry=registry, name=name: c.resolve_option(registry, name, value),
                    registry.serialize,
                )
            )
        if kind == "regularizer":
            rows.append(
                ACTIVITY_REGULARIZER
                if activity_in_config
                else replace(ACTIVITY_REGULARIZER, in_config=lambda value: value is not None)
            )
    return tuple(rows)


@dataclass(frozen=True)
class ArgumentTable:
    """A family's arguments in Keras's order: the constructor's signature, canonicaliser, config and repr.

    >>> table = ArgumentTable(positive_int("units"), USE_BIAS)
    >>> table.signature
    <Signature (units, use_bias=True, **kwargs)>
    >>> table.bind("Dense", (4,), {"name": "d"})
    ({'units': 4, 'use_bias': True}, {'name': 'd'})

    ``config_first``: names Keras's config lists first, in that order, before the
    others (its depthwise and separable configs start with ``depth_multiplier``;
    its pooling configs with ``pool_size, padding``).
    """

    rows: tuple[Argument, ...]
    config_first: tuple[str, ...] = ()
    signature: inspect.Signature = field(init=False, repr=False, compare=False)

    def __init__(self, *rows: Argument, config_first: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "config_first", config_first)
        parameters = [inspect.Parameter(row.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=row.default) for row in rows]
        parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
        object.__setattr__(self, "signature", inspect.Signature(parameters))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(row.name for row in self.rows)

    def bind(self, owner: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(the table's arguments with defaults filled in, the remaining keyword arguments)``.

        Raises the ``TypeError`` Python would (a missing or repeated argument,
        too many positional ones), naming the layer class.
        """
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{owner}: {error}. Signature: {owner}{self.signature}.") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        return values, values.pop("kwargs")

    def normalize(self, values: Mapping[str, Any], context: Context) -> dict[str, Any]:
        """Every row's canonical value, in order (a row may read the rows before it)."""
        canonical: dict[str, Any] = {}
        context = Context(context.owner, context.rank, canonical, context.resolve_option)
        for row in self.rows:
            canonical[row.name] = row.normalize(values[row.name], context)
        return canonical

    def config(self, read: Callable[[str], Any]) -> dict[str, Any]:
        """The Keras config entries of the canonical values ``read(name)`` gives, in Keras's order."""
        config = {}
        first = {name: index for index, name in enumerate(self.config_first)}
        for row in sorted(self.rows, key=lambda row: first.get(row.name, len(first))):
            value = read(row.name)
            if row.in_config(value):
                config[row.name] = row.serialize(value)
        return config

    def repr_items(self, read: Callable[[str], Any]) -> str:
        """``name=value, ...`` of the rows a ``repr`` shows."""
        return ", ".join(f"{row.name}={row.show(read(row.name))!r}" for row in self.rows if row.in_repr)


class _ConstructorSignature:
    """``inspect.signature(LayerClass)`` is the table's signature; instances keep ``forward``'s."""

    def __get__(self, instance: Any, owner: type) -> inspect.Signature:
        if instance is not None:
            raise AttributeError("__signature__")
        return owner.arguments.signature


def _spec_property(row: Argument, spec_type: type) -> property:
    name = row.name
    doc = f"The canonical ``{name}`` (read from ``spec``)."
    if name not in {f.name for f in fields(spec_type)}:
        return property(lambda self: self.spec.value(name), doc=doc)

    def set_value(self: Any, value: Any) -> None:
        context = Context(self.owner, self.rank, {}, self.resolve_option)
        self.spec = replace(self.spec, **{name: row.normalize(value, context)})
        self._call_plans.clear()  # steps resolved from the old spec

    # A plain read (torch.compile traces it); settable rows replace the spec.
    return property(lambda self: getattr(self.spec, name), set_value if row.settable else None, doc=doc)


class DeclaredArguments:
    """Mixin for a :class:`~convlayers.layers.Layer` built from a spec through its family's :class:`ArgumentTable`.

    The family sets ``arguments``, ``spec_type`` (and ``spec_kind`` where the spec
    type serves several kinds) and implements
    ``spec_from_arguments(values)`` (canonical values -> its frozen spec). Every
    argument reads back as an attribute (``layer.filters``, ``layer.kernel_initializer``)
    from ``layer.spec``; ``data_format`` and ``activity_regularizer`` also go to the
    base classes that keep them (``SpatialLayer``, ``Layer``).
    """

    arguments: ClassVar[ArgumentTable]
    spec_type: ClassVar[type]
    spec_kind: ClassVar[str | None] = None
    spec: Any
    rank: ClassVar[int | None] = None
    __signature__ = _ConstructorSignature()
    #: Rows the base classes keep as attributes of their own.
    _base_rows = ("data_format", "activity_regularizer")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "arguments" not in cls.__dict__:
            return
        for row in cls.arguments.rows:
            if row.name not in cls._base_rows and not any(row.name in klass.__dict__ for klass in cls.__mro__):
                setattr(cls, row.name, _spec_property(row, cls.spec_type))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values, rest = self.arguments.bind(type(self).__name__, args, kwargs)
        base = {name: values[name] for name in self._base_rows if name in values}
        super().__init__(**base, **rest)  # type: ignore[call-arg]
        context = Context(self.owner, self.rank, {}, self.resolve_option)  # type: ignore[attr-defined]
        self.spec = self.spec_from_arguments(self.arguments.normalize(values, context))

    def spec_from_arguments(self, values: dict[str, Any]) -> Any:
        """The family's spec of its canonical argument ``values``."""
        raise NotImplementedError

    @classmethod
    def from_spec(cls, spec: Any, **layer_arguments: Any) -> Any:
        """The layer ``spec`` describes: the way in for dialects.

        ``layer_arguments``: what every layer takes besides its spec (``name``,
        ``dtype``, ``input_shape``, ``activity_regularizer``...).

        >>> from convlayers import Conv2D
        >>> layer = Conv2D(8, 3, strides=2, padding="same")
        >>> Conv2D.from_spec(layer.spec, name="copy").spec == layer.spec
        True
        """
        kind, rank = getattr(spec, "kind", None), getattr(spec, "rank", None)
        if not isinstance(spec, cls.spec_type) or kind != cls.spec_kind or rank != cls.rank:
            raise ValueError(
                f"{cls.__name__}.from_spec: expected a {cls.spec_type.__name__} of kind {cls.spec_kind!r} and rank "
                f"{cls.rank}. Received a {type(spec).__name__} of kind {kind!r} and rank {rank}."
            )
        own = {name: spec.value(name) for name in cls.arguments.names if name != "activity_regularizer"}
        return cls(**own, **layer_arguments)

    def argument_value(self, name: str) -> Any:
        """The canonical value of argument ``name``."""
        return self.activity_regularizer if name == "activity_regularizer" else self.spec.value(name)  # type: ignore[attr-defined]

    def _config(self) -> dict[str, Any]:
        return self.arguments.config(self.argument_value)

    def extra_repr(self) -> str:
        items = self.arguments.repr_items(self.argument_value)
        return f"name={self.name!r}" + (f", {items}" if items else "")  # type: ignore[attr-defined]
