"""torch.nn: modules, parameters, functional ops and weight initialisation."""

from . import functional, init
from .modules import (
    Conv1d,
    Conv2d,
    Conv3d,
    AlphaDropout,
    CrossEntropyLoss,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
    Identity,
    L1Loss,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .parameter import Parameter

__all__ = [
    "AlphaDropout", "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
    "FeatureAlphaDropout", "Identity", "L1Loss", "Linear", "MSELoss", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init",
    "Conv1d", "Conv2d", "Conv3d",
]  # fmt: skip

from . import utils  # noqa: E402
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase",
            "utils"]  # fmt: skip

from .modules import (  # noqa: E402
    BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
    InstanceNorm3d, LayerNorm, LocalResponseNorm, RMSNorm,
)  # fmt: skip

__all__ += ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "InstanceNorm1d",
            "InstanceNorm2d", "InstanceNorm3d", "LayerNorm", "LocalResponseNorm",
            "RMSNorm"]  # fmt: skip

from .modules import (  # noqa: E402
    CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
    LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU6, SELU, SiLU,
    Softmax2d, Softmin, Softplus, Softshrink, Softsign, Tanhshrink, Threshold,
)  # fmt: skip

__all__ += [
    "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "ReLU6", "SELU", "SiLU",
    "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold",
]  # fmt: skip

from .modules import (  # noqa: E402
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss,
    HuberLoss, KLDivLoss, MarginRankingLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
    SmoothL1Loss, SoftMarginLoss, TripletMarginLoss, MultiLabelMarginLoss, MultiMarginLoss,
)  # fmt: skip

__all__ += [
    "BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss", "GaussianNLLLoss",
    "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "MarginRankingLoss",
    "MultiLabelSoftMarginLoss", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss",
    "TripletMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss",
]  # fmt: skip

from .modules import (  # noqa: E402
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += ["MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
            "TransformerEncoder", "TransformerEncoderLayer"]  # fmt: skip


# ----- pooling, embeddings, flatten, bilinear, conv transposes, parameter containers ----------
from .modules import _LAYER_NAMES  # noqa: E402
from .modules import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    Bilinear,
    ConvTranspose1d,
    ConvTranspose2d,
    Embedding,
    EmbeddingBag,
    Flatten,
    MaxPool1d,
    MaxPool2d,
    ParameterDict,
    ParameterList,
    Unflatten,
)

__all__ += _LAYER_NAMES
from . import modules as _modules  # noqa: E402

globals().update({name: getattr(_modules, name) for name in _LAYER_NAMES})  # pads, upsampling


def __getattr__(name: str):
    raise AttributeError(
        f"module 'torch.nn' has no attribute '{name}' (torchlike does not implement "
        f"torch.nn.{name} yet; see compat/COVERAGE.md)"
    )
