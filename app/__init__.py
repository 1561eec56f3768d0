"""design-reviewer: reviews ML system design documents against the ML system design flow."""

__version__ = "0.1.0"
