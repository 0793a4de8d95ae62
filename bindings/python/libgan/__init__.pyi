# Type hints of the libgan package (PEP 561 stub; py.typed marks the package
# as typed).  Each module has its own stub (model.pyi, ...); metrics.py is
# annotated inline.
from typing import List, Tuple

from . import metrics as metrics
from ._buffers import HAVE_NUMPY as HAVE_NUMPY
from ._errors import ClosedError as ClosedError
from ._errors import FormatError as FormatError
from ._errors import GanError as GanError
from ._errors import GanFileNotFoundError as GanFileNotFoundError
from ._errors import GanIOError as GanIOError
from ._errors import GanIsADirectoryError as GanIsADirectoryError
from ._errors import GanNotADirectoryError as GanNotADirectoryError
from ._errors import GanPermissionError as GanPermissionError
from ._errors import InternalError as InternalError
from ._errors import InvalidArgumentError as InvalidArgumentError
from ._errors import NoMemoryError as NoMemoryError
from ._errors import NumericError as NumericError
from ._errors import ShapeError as ShapeError
from ._errors import StateError as StateError
from ._errors import StopTraining as StopTraining
from ._errors import UnsupportedError as UnsupportedError
from ._errors import VersionError as VersionError
from ._handle import live_handles as live_handles
from .data import FASHION_MNIST_DIR as FASHION_MNIST_DIR
from .data import Dataset as Dataset
from .data import load_images as load_images
from .files import file_info as file_info
from .files import file_probe as file_probe
from .metrics import FidStats as FidStats
from .metrics import Metrics as Metrics
from .metrics import frechet_distance as frechet_distance
from .metrics import inception_score as inception_score
from .metrics import precision_recall as precision_recall
from .model import LAYER_KINDS as LAYER_KINDS
from .model import Model as Model
from .model import preset_latent_dim as preset_latent_dim
from .model import preset_names as preset_names
from .sampling import Sampler as Sampler
from .sampling import encode_png_grid as encode_png_grid
from .sampling import latent_interpolate as latent_interpolate
from .sampling import to_uint8 as to_uint8
from .sampling import write_png_grid as write_png_grid
from .training import SGD as SGD
from .training import Adam as Adam
from .training import Loss as Loss
from .training import Optimizer as Optimizer
from .training import RMSprop as RMSprop
from .training import Trainer as Trainer

__version__: str
library_path: str
missing_functions: Tuple[str, ...]
__all__: List[str]

def version() -> str: ...
def version_number() -> int: ...
def set_threads(n: int) -> None: ...
def get_threads() -> int: ...
def status_str(status: int) -> str: ...
def last_error() -> str: ...
def clear_error() -> None: ...
def blas_info() -> str: ...
