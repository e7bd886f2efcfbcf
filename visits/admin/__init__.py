"""The epidemiologists' admin for visits (docs/rules.md §5).

`model_admins` registers the visit and isolation-point admins; `pages` holds
the person, tracing, export and report pages the visit admin routes; `forms`
their forms.
"""

from visits.admin.model_admins import IsolationPointAdmin, VisitAdmin

__all__ = ["IsolationPointAdmin", "VisitAdmin"]
