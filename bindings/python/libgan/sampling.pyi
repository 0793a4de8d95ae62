# Type hints of libgan.sampling (PEP 561 stub; the module is untyped Python).
import array
import os
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._handle import Handle
from .model import Model

_FloatArray = npt.NDArray[np.float32]
_U8Array = npt.NDArray[np.uint8]
_FloatIn = Union[_FloatArray, array.array[float], bytes, bytearray, memoryview]
_Bytes = Union[bytes, bytearray, memoryview, _U8Array]
_Labels = Union[int, Sequence[int], npt.NDArray[np.integer], array.array[int]]
_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]

class Sampler(Handle):
    model: Model
    image_shape: Tuple[int, ...]
    def __init__(self, model: Model, seed: int = ..., max_batch: int = ...) -> None: ...
    def set_seed(self, seed: int) -> None: ...
    @property
    def latent_dim(self) -> int: ...
    def latent(self, n: int) -> _FloatArray: ...
    def generate(self, n: Optional[int] = ..., z: Optional[_FloatIn] = ..., uint8: bool = ...,
                 out: Optional[Union[_FloatIn, _Bytes]] = ...,
                 labels: Optional[_Labels] = ...) -> Union[_FloatArray, _U8Array]: ...
    def generate_u8(self, n: Optional[int] = ..., z: Optional[_FloatIn] = ...,
                    out: Optional[_Bytes] = ..., labels: Optional[_Labels] = ...) -> _U8Array: ...
    def interpolate(self, z0: _FloatIn, z1: _FloatIn, steps: int, spherical: bool = ...,
                    uint8: bool = ..., labels: Optional[_Labels] = ...) -> Union[_FloatArray, _U8Array]: ...

def latent_interpolate(z0: _FloatIn, z1: _FloatIn, steps: int, spherical: bool = ...) -> _FloatArray: ...
def write_png_grid(path: _Path, images: _Bytes, cols: int = ..., pad: int = ...,
                   shape: Optional[Tuple[int, int, int]] = ...) -> None: ...
def encode_png_grid(images: _Bytes, cols: int = ..., pad: int = ...,
                    shape: Optional[Tuple[int, int, int]] = ...) -> bytes: ...
def to_uint8(images: npt.ArrayLike) -> _U8Array: ...
