"""Keras-style name registries, shared by activations, initializers, regularizers and constraints.

A registry maps the names Keras accepts (``"glorot_uniform"``, ``"GlorotUniform"``, ...; matched
case-sensitively, as Keras does) to classes, factories or ready objects, and turns every form of
identifier Keras takes into an object:

- a name;
- a Keras config dict, ``{"class_name": ..., "config": {...}}``, with or without ``module`` /
  ``registered_name`` (Keras's ``{"class_name": "function", "config": NAME}`` form included);
- an instance, returned as is; a class, instantiated with its defaults;
- a plain callable, wrapped under its ``__name__``.

``serialize`` writes Keras 3's dict form back. Plain callables serialize to their name, which
``get`` resolves only once it is registered with ``register(name, obj)``.

>>> from convlayers import initializers
>>> initializers.get({"class_name": "RandomUniform", "config": {"maxval": 1.0}})
RandomUniform(seed=None, minval=-0.05, maxval=1.0)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Configurable:
    """Base of the registry objects: ``get_config()`` holds exactly the constructor arguments.

    >>> from convlayers.constraints import MaxNorm
    >>> MaxNorm(3.0).get_config()
    {'max_value': 3.0, 'axis': 0}
    """

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-ready (``type(self)(**get_config())`` rebuilds it)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Wrapped(Configurable):
    """A plain user callable kept under a name; Keras serializes such functions by name.

    >>> from convlayers import regularizers
    >>> def l1_total(w): return w.abs().sum()
    >>> regularizers.get(l1_total).name
    'l1_total'
    """

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name = name
        self.fn = fn

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.fn!r})"


class Registry(Generic[T]):
    """The names one kind of object answers to, and how to build it from any identifier.

    Args:
        kind: what the objects are called in messages, e.g. ``"initializer"``.
        module: the Keras module written into serialized configs, e.g. ``"keras.initializers"``.
        base: the class every object of this kind derives from.
        builtins: each accepted name -> a class or factory (called with the config's keys), or
            a ready object (returned as is).
        wrap: ``wrap(name, fn)`` makes an object of this kind from a plain callable.

    >>> from convlayers.registry import Registry, Configurable, Wrapped
    >>> class Thing(Configurable): pass
    >>> class FnThing(Wrapped, Thing): pass
    >>> things = Registry("thing", "keras.things", Thing, {"Thing": Thing, "thing": Thing}, FnThing)
    >>> things.serialize(things.get("thing"))
    {'module': 'keras.things', 'class_name': 'Thing', 'config': {}, 'registered_name': None}
    """

    def __init__(
        self,
        kind: str,
        module: str,
        base: type[T],
        builtins: Mapping[str, Any],
        wrap: Callable[[str, Callable[..., Any]], T],
    ) -> None:
        self.kind = kind
        self.module = module
        self.base = base
        self.wrap = wrap
        self._builtins = dict(builtins)
        self._custom: dict[str, Any] = {}

    def names(self) -> list[str]:
        """Every accepted name: Keras's built-in ones, then the registered ones."""
        return sorted(self._builtins) + sorted(self._custom)

    def register(self, name: str, obj: Any) -> None:
        """Make ``name`` resolve to ``obj``: a subclass or instance of ``base``, or a plain callable."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"A registered {self.kind} name must be a non-empty string. Received: name={name!r}")
        if name in self._builtins:
            raise ValueError(f"Cannot register {self.kind} {name!r}: it is a built-in Keras name.")
        is_class = inspect.isclass(obj) and issubclass(obj, self.base)
        if not (is_class or isinstance(obj, self.base)):
            if not callable(obj):
                raise ValueError(
                    f"Cannot register {self.kind} {name!r}: expected a subclass or instance of "
                    f"{self.base.__name__}, or a callable. Received: {obj!r}"
                )
            obj = self.wrap(name, obj)
        if getattr(obj, "name", name) != name:
            raise ValueError(f"Cannot register {self.kind} {name!r} under a different name: it is named {obj.name!r}.")
        self._custom[name] = obj

    def get(self, identifier: Any) -> T:
        """The object for ``identifier``: an instance, a name, a config dict, a class or a callable."""
        if isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, str):
            return self._build(identifier, {})
        if isinstance(identifier, dict):
            return self._build(*self._parse(identifier))
        if inspect.isclass(identifier) and issubclass(identifier, self.base):
            return identifier()
        if callable(identifier):
            return self.wrap(getattr(identifier, "__name__", type(identifier).__name__), identifier)
        raise ValueError(
            f"Could not interpret {self.kind} identifier {identifier!r}: expected a name, a Keras config "
            f"dict, an instance of {self.base.__name__}, or a callable. Received: type {type(identifier).__name__}"
        )

    def deserialize(self, config: Any, custom_objects: Mapping[str, Any] | None = None) -> T:
        """Keras's ``deserialize``: the object a name or a ``serialize``'d dict describes.

        ``custom_objects`` (``{name: class or function}``, Keras's) is looked up first, by the
        config's ``registered_name`` or ``class_name``.
        """
        if not isinstance(config, (str, dict)):
            raise TypeError(
                f"Could not deserialize {self.kind} {config!r}: expected a name or a Keras config dict "
                f"({{'class_name': ..., 'config': ...}}). Received: type {type(config).__name__}"
            )
        if custom_objects is not None and not isinstance(custom_objects, Mapping):
            raise TypeError(f"`custom_objects` must be a dict {{name: class or function}}. Received: {custom_objects!r}")
        name, arguments = (config, {}) if isinstance(config, str) else self._parse(config)
        registered = config.get("registered_name") if isinstance(config, dict) else None
        custom = next((custom_objects[key] for key in (registered, name) if custom_objects and key in custom_objects), None)
        if custom is None:
            return self._build(name, arguments)
        if inspect.isclass(custom) and issubclass(custom, self.base):
            return custom.from_config(arguments) if hasattr(custom, "from_config") else custom(**arguments)
        return self.get(custom)

    def serialize(self, obj: T) -> dict[str, Any]:
        """Keras 3's dict form: ``{"module", "class_name", "config", "registered_name"}``."""
        if isinstance(obj, Wrapped):
            module = getattr(obj.fn, "__module__", None)
            return {"module": module, "class_name": "function", "config": obj.name, "registered_name": obj.name}
        cls = type(obj)
        if self._builtins.get(cls.__name__) is cls:
            return {"module": self.module, "class_name": cls.__name__, "config": obj.get_config(), "registered_name": None}
        registered = next((name for name, entry in self._custom.items() if entry is cls), cls.__name__)
        return {"module": cls.__module__, "class_name": cls.__name__, "config": obj.get_config(), "registered_name": registered}

    def _parse(self, identifier: dict[str, Any]) -> tuple[Any, Any]:
        if "class_name" not in identifier:
            raise ValueError(f"{self.kind.capitalize()} config dicts need a 'class_name' key. Received: {identifier!r}")
        name, config = identifier["class_name"], identifier.get("config") or {}
        if name == "function":  # Keras's form for a plain function: its name is the config
            name, config = config, {}
        registered = identifier.get("registered_name")
        if isinstance(registered, str) and registered in self._custom:
            name = registered
        return name, config

    def _build(self, name: Any, config: Any) -> T:
        entry = self._lookup(name)
        if not isinstance(config, dict):
            raise ValueError(f"The config of {self.kind} {name!r} must be a dict. Received: config={config!r}")
        if isinstance(entry, self.base):
            if config:
                raise ValueError(f"The {self.kind} {name!r} takes no config. Received: config={config!r}")
            return entry
        parameters = inspect.signature(entry).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            unknown = sorted(set(config) - set(parameters))
            if unknown:
                raise ValueError(
                    f"Unknown config keys for {self.kind} {name!r}: {', '.join(unknown)}. "
                    f"Expected keys among: {', '.join(parameters) or 'none'}. Received: config={config!r}"
                )
        return entry(**config)

    def _lookup(self, name: Any) -> Any:
        if isinstance(name, str):
            for table in (self._builtins, self._custom):
                if name in table:
                    return table[name]
        close = [known for known in self.names() if isinstance(name, str) and known.lower() == name.lower()]
        hint = f" Did you mean {close[0]!r}? Names are case-sensitive, as in Keras." if close else ""
        raise ValueError(
            f"Unknown {self.kind} {name!r}.{hint} Allowed names: {', '.join(self.names())} "
            f"(or a name registered with `register`). Received: {self.kind}={name!r}"
        )
