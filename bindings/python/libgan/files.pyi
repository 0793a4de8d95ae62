# Type hints of libgan.files (PEP 561 stub).
import os
from typing import Dict, Union

_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]

FILE_KINDS: Dict[int, str]

def file_probe(path: _Path) -> str: ...
def file_info(path: _Path) -> str: ...
