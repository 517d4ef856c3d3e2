"""Thread-local grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools
import inspect
import threading
import warnings


class _GradState(threading.local):
    enabled = True
    inference = False


_state = _GradState()


def is_grad_enabled() -> bool:
    """torch.is_grad_enabled."""
    return _state.enabled


# Anomaly mode is process-wide in torch (not thread-local like grad mode).
anomaly = {"enabled": False, "check_nan": True}


def is_anomaly_enabled() -> bool:
    """torch.is_anomaly_enabled."""
    return anomaly["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    """torch.is_anomaly_check_nan_enabled."""
    return anomaly["check_nan"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """torch.set_anomaly_enabled."""
    anomaly["enabled"], anomaly["check_nan"] = enabled, check_nan


def is_inference_mode_enabled() -> bool:
    """torch.is_inference_mode_enabled."""
    return _state.inference


class _GradModeContext:
    """Base of the grad-mode context managers; each also works as a decorator."""

    def _enter_state(self):
        raise NotImplementedError  # overridden by every subclass

    def __enter__(self):
        self._saved = (_state.enabled, _state.inference)
        self._enter_state()
        return None

    def __exit__(self, *exc):
        _state.enabled, _state.inference = self._saved
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            warnings.warn(_CLASS_DECORATION, FutureWarning, stacklevel=2)
            cls = func

            def func(*args, **kwargs):
                return cls(*args, **kwargs)

        if inspect.isgeneratorfunction(func):
            return _generator_in_mode(self, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper


_CLASS_DECORATION = (
    "Decorating classes is deprecated and will be disabled in future versions. You should only "
    "decorate functions or methods. To preserve the current behavior of class decoration, you "
    "can directly decorate the `__init__` method and nothing else."
)


def _generator_in_mode(mode, func):
    """A generator whose every step (next, send, throw, close) runs inside the grad mode."""

    @functools.wraps(func)
    def generator_wrapper(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with mode.clone():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with mode.clone():
                        gen.close()
                    raise
                except BaseException as error:  # noqa: BLE001 - forwarded into the generator
                    with mode.clone():
                        response = gen.throw(error)
                else:
                    with mode.clone():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return generator_wrapper


class no_grad(_GradModeContext):
    """torch.no_grad."""

    def __init__(self, orig_func=None):
        self._orig_func = orig_func

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def _enter_state(self):
        _state.enabled = False


class enable_grad(_GradModeContext):
    """torch.enable_grad."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def _enter_state(self):
        _state.enabled = True


class set_grad_enabled(_GradModeContext):
    """torch.set_grad_enabled: sets the mode at once, and restores it on context exit."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(
                "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                f"{type(mode).__name__}"
            )
        self._saved = (_state.enabled, _state.inference)
        self.mode = mode
        _state.enabled = mode

    def __enter__(self):
        _state.enabled = self.mode

    def __call__(self, func):
        # As a decorator it only applies inside func: undo the switch made by __init__.
        _state.enabled = self._saved[0]
        return super().__call__(func)

    def _enter_state(self):
        _state.enabled = self.mode

    def clone(self):
        return _Switch(self.mode)


class _Switch(_GradModeContext):
    """set_grad_enabled's decorator form: switches only while the function runs."""

    def __init__(self, mode: bool):
        self.mode = mode

    def _enter_state(self):
        _state.enabled = self.mode

    def clone(self):
        return _Switch(self.mode)


class inference_mode(_GradModeContext):
    """torch.inference_mode."""

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __new__(cls, mode=True):
        if not isinstance(mode, bool) and callable(mode):
            return cls()(mode)
        return super().__new__(cls)

    def _enter_state(self):
        # inference_mode(False) turns inference off and gradients back on, as torch does.
        _state.enabled = not self.mode
        _state.inference = self.mode

    def clone(self):
        return self.__class__(self.mode)
