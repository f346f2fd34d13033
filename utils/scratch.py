"""Neural networks in plain NumPy: the pieces notebooks 01-03 build on, before Keras does it for us.

Everything is vectorised over the batch (no Python loop over samples) and written to be read: the
forward pass, the loss and backpropagation of `MLP` are each a few lines. `TwoLayerNet` is the
784-50-10 network of "Deep Learning from Scratch" (chapter 4-5), an `MLP` with one hidden layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

ACTIVATIONS = ("sigmoid", "relu")


def softmax(x: np.ndarray) -> np.ndarray:
    """Return softmax probabilities along the last axis; stable for huge logits such as 1000."""
    x = np.asarray(x, dtype=np.result_type(x, np.float32))
    shifted = x - x.max(axis=-1, keepdims=True)  # exp() of at most 0: no overflow, same result
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(y: np.ndarray, t: np.ndarray) -> float:
    """Return the mean cross-entropy of probabilities `y` (n, k) for integer labels (n,) or one-hot
    `t` (n, k).
    """
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:  # a single example: make it a batch of one
        y, t = y[np.newaxis], t[np.newaxis]
    if t.shape == y.shape:  # one-hot rows -> integer labels
        t = t.argmax(axis=1)
    if t.shape != (len(y),) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(
            f"labels must be integers of shape ({len(y)},) or one-hot of shape {y.shape}, "
            f"not {t.dtype} {t.shape}"
        )
    eps = 1e-12  # log(0) would be -inf for a probability that underflowed to 0
    return float(-np.log(y[np.arange(len(y)), t] + eps).mean())


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Return 1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x)))


def relu(x: np.ndarray) -> np.ndarray:
    """Return max(0, x), element by element."""
    return np.maximum(0, x)


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4
) -> np.ndarray:
    """Return df/dx by central differences (f(x+h) - f(x-h)) / 2h, one element at a time.

    `f` is called with `x` after each element is nudged in place; afterwards `x` holds exactly its
    original values. `x` may have any shape; it must be a float array.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must be a float NumPy array (it is changed in place), not {type(x).__name__} "
            f"{getattr(x, 'dtype', '')}"
        )
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original  # restore the very same value, not original + h - h
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Return an (n, num_classes) float array with a 1 in each row at that row's label."""
    labels = np.asarray(labels)
    encoded = np.zeros((len(labels), num_classes))
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


class MLP:
    """A fully connected network in NumPy: hidden layers with `activation`, a softmax output.

    `sizes` lists the layer widths, input first: `MLP([784, 50, 100, 10])`. Parameters live in
    `params` as `W1`, `b1`, `W2`, `b2`, ...; `weight_init_std` is a number, or "he" (sqrt(2 /
    fan-in), for ReLU) or "lecun" (sqrt(1 / fan-in), LeCun's rule, for sigmoid; "Deep Learning
    from Scratch" calls it Xavier, but Glorot's (Xavier's) rule is sqrt(2 / (fan-in + fan-out))).
    `weight_decay` adds `weight_decay / 2 * sum(W**2)` over the weight matrices to the loss (L2
    regularisation).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        weight_init_std: float | str = 0.01,
        activation: str = "sigmoid",
        weight_decay: float = 0.0,
        seed: int | None = 0,
        dtype: type = np.float64,
    ):
        if len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
            raise ValueError(
                f"sizes must be at least two positive integers (input ... output), not {sizes}"
            )
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation {activation!r}: expected one of {', '.join(ACTIVATIONS)}")
        self.sizes = [int(n) for n in sizes]
        self.activation = activation
        self.weight_decay = weight_decay
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            std = _init_std(weight_init_std, fan_in)
            self.params[f"W{i}"] = (std * rng.standard_normal((fan_in, fan_out))).astype(dtype)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)

    @property
    def num_layers(self) -> int:
        """Return the number of weight layers (hidden layers + the output layer)."""
        return len(self.sizes) - 1

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Return the input and every layer's output, the last one softmax probabilities."""
        act = sigmoid if self.activation == "sigmoid" else relu
        outputs = [x]
        for i in range(1, self.num_layers + 1):
            a = outputs[-1] @ self.params[f"W{i}"] + self.params[f"b{i}"]
            outputs.append(softmax(a) if i == self.num_layers else act(a))
        return outputs

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Return class probabilities, shape (n, classes), for inputs x of shape (n, features)."""
        return self._forward(x)[-1]

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the mean cross-entropy on (x, t), plus the L2 penalty when `weight_decay` is set.
        """
        penalty = sum(
            float((self.params[f"W{i}"] ** 2).sum()) for i in range(1, self.num_layers + 1)
        )
        return cross_entropy(self.predict(x), t) + 0.5 * self.weight_decay * penalty

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Return the fraction of rows of x whose most probable class is the label t (integer or
        one-hot).
        """
        t = np.asarray(t)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return float((self.predict(x).argmax(axis=1) == labels).mean())

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Return d loss / d parameter for every parameter, by central differences (slow: 2 passes
        per number).
        """
        return {
            name: numerical_gradient(lambda _: self.loss(x, t), param)
            for name, param in self.params.items()
        }

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Return d loss / d parameter for every parameter, by backpropagation (one forward, one
        backward pass).
        """
        outputs = self._forward(x)
        t = np.asarray(t)
        targets = t if t.ndim == 2 else one_hot(t, self.sizes[-1])
        # d loss / d scores of softmax + cross-entropy: p - onehot
        delta = (outputs[-1] - targets) / len(x)
        grads: dict[str, np.ndarray] = {}
        for i in range(self.num_layers, 0, -1):
            grads[f"W{i}"] = outputs[i - 1].T @ delta + self.weight_decay * self.params[f"W{i}"]
            grads[f"b{i}"] = delta.sum(axis=0)
            if i > 1:  # back through W_i, then through the hidden layer's activation
                below = outputs[i - 1]
                local = below * (1 - below) if self.activation == "sigmoid" else (below > 0)
                delta = (delta @ self.params[f"W{i}"].T) * local
        return {name: grads[name] for name in self.params}


class TwoLayerNet(MLP):
    """The book's `TwoLayerNet`: input -> hidden (sigmoid or ReLU) -> softmax output."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float | str = 0.01,
        activation: str = "sigmoid",
        **kwargs,
    ):
        super().__init__(
            [input_size, hidden_size, output_size],
            weight_init_std=weight_init_std,
            activation=activation,
            **kwargs,
        )


def relative_error(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    """Return, per key, ||a - b|| / (||a|| + ||b||): about 1e-9 when two gradients agree, order 1
    when not.
    """
    if set(a) != set(b):
        raise ValueError(f"different keys: {sorted(a)} vs {sorted(b)}")
    errors = {}
    for name in a:
        scale = np.linalg.norm(a[name]) + np.linalg.norm(b[name])
        errors[name] = float(np.linalg.norm(a[name] - b[name]) / scale) if scale > 0 else 0.0
    return errors


def train_sgd(
    net: MLP,
    x: np.ndarray,
    t: np.ndarray,
    *,
    iterations: int,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train `net` in place by mini-batch SGD with backpropagation; return the loss of every
    iteration.

    Each iteration draws `batch_size` random rows (with replacement, as in the book). After every
    `len(x) // batch_size` iterations (an "epoch"), `on_epoch(iteration, mean loss since the last
    call)` is called if given.
    """
    if iterations < 1 or batch_size < 1 or batch_size > len(x):
        raise ValueError(f"need iterations >= 1 and 1 <= batch_size <= {len(x)}")
    rng = np.random.default_rng(seed)
    per_epoch = max(len(x) // batch_size, 1)
    losses: list[float] = []
    for iteration in range(1, iterations + 1):
        batch = rng.integers(0, len(x), batch_size)
        grads = net.gradient(x[batch], t[batch])
        for name, grad in grads.items():
            net.params[name] -= learning_rate * grad
        losses.append(net.loss(x[batch], t[batch]))
        if on_epoch is not None and iteration % per_epoch == 0:
            on_epoch(iteration, float(np.mean(losses[-per_epoch:])))
    return losses


def _init_std(weight_init_std: float | str, fan_in: int) -> float:
    if weight_init_std == "he":
        return float(np.sqrt(2.0 / fan_in))
    if weight_init_std == "lecun":
        return float(np.sqrt(1.0 / fan_in))
    if isinstance(weight_init_std, str):
        raise ValueError(f"weight_init_std {weight_init_std!r}: a number, 'he' or 'lecun'")
    return float(weight_init_std)
