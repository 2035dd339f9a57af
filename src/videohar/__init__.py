"""VideoAnalysisHAR: human action recognition on live cameras."""

__version__ = "0.1.0"
