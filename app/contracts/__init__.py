"""The contracts file (pulse.yaml): its schema, the roster of people, and each client's terms for the clocks."""

from app.contracts.roster import Client, Contracts, Resolved, build_client, load_contracts, parse_contracts
from app.contracts.schema import (
    AlertsSpec,
    AlignmentSpec,
    CalendarSpec,
    ClientSpec,
    ContractsError,
    ContractsSpec,
    PersonSpec,
    ProductionBugSpec,
    ReportSpec,
    TargetsSpec,
    parse_duration,
)
from app.contracts.survey_spec import SurveySpec

__all__ = [
    "AlertsSpec",
    "AlignmentSpec",
    "CalendarSpec",
    "Client",
    "ClientSpec",
    "Contracts",
    "ContractsError",
    "ContractsSpec",
    "PersonSpec",
    "ProductionBugSpec",
    "ReportSpec",
    "Resolved",
    "SurveySpec",
    "TargetsSpec",
    "build_client",
    "load_contracts",
    "parse_contracts",
    "parse_duration",
]
