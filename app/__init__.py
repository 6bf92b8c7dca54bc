"""dicomcore's REST service: a thin FastAPI layer of routes, settings and error handlers over
the dicomcore library, which does all the DICOM work."""

__version__ = "0.1.0"
