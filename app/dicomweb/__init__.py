"""DICOMweb (PS3.18) over the store and its index: STOW-RS, QIDO-RS and WADO-RS under
`/dicomweb`, behind the same API key as the rest of the service.

`media` (Accept headers, multipart bodies), `search` (QIDO-RS matching onto the index),
`render` (search results as DICOM JSON), `qido`, `wado` (instances, metadata, bulk data),
`frames` (pixel data frames), `stow` (storing multipart/related uploads) and `cors`
(browser viewers on other origins).
"""

from . import frames, qido, stow, wado
from .cors import cors_options

routers = [qido.router, wado.router, frames.router, stow.router]

__all__ = ["cors_options", "routers"]
