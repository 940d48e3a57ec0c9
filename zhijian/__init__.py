"""Zhijian (质监): quality-supervision platform for market regulators."""

__version__ = "0.1.0"
