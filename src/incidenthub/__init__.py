"""incidenthub: one canonical incident record behind many vendors' doors."""

__version__ = "0.1.0"
