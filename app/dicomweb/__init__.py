"""DICOMweb (PS3.18) over the store and its index: STOW-RS, QIDO-RS and WADO-RS under
`/dicomweb`, behind the same API key as the rest of the service.

`media` (Accept headers, multipart bodies), `search` (QIDO-RS matching onto the index),
`render` (search results as DICOM JSON), `qido`, `wado` (instances, metadata, bulk data),
`frames` (pixel data frames) and `stow` (storing multipart/related uploads).
"""

from . import frames, qido, wado

routers = [qido.router, wado.router, frames.router]

__all__ = ["routers"]
