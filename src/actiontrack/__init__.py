"""actiontrack: track the learning from safeguarding case reviews until it changes practice.

The public API. Import from here; the modules behind it may move.

Each name is loaded on first use (:pep:`562`), so a command or script pays only
for what it uses: ``actiontrack show`` never loads the spreadsheet, SQL or
audit code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actiontrack.adopt import AdoptResult, TrackerMap, adopt_tracker, read_map
    from actiontrack.auditing import (
        AuditConfig,
        AuditResult,
        Finding,
        Flag,
        Severity,
        Waiver,
        audit,
        rule,
    )
    from actiontrack.chasing import ChaseResult, ChaseSettings, Outbox, SmtpServer, chase_owners
    from actiontrack.convert import structure, unstructure
    from actiontrack.domain import (
        ALLOWED_TRANSITIONS,
        COMPLETE_STATUSES,
        OPEN_STATUSES,
        RECORD_KINDS,
        Action,
        ActionStatus,
        Agency,
        AssuranceDecision,
        AssuranceOutcome,
        ChangeKind,
        Chase,
        ClockState,
        DayOne,
        Deadline,
        Evidence,
        EvidenceKind,
        EvidenceTier,
        HistoryEntry,
        LearningActivity,
        LearningActivityKind,
        Measure,
        Measurement,
        Partnership,
        PartnershipKind,
        Plan,
        ProgressUpdate,
        Rag,
        RagPolicy,
        Recommendation,
        RecommendationScope,
        RecommendationStatus,
        Record,
        Response,
        Review,
        ReviewKind,
        StatutoryClock,
        TargetRevision,
        Want,
        WorkingDays,
        add_months,
        change_status,
        kind_of,
        rag,
        recommendation_status,
        review_deadlines,
        revise_target,
        yearly_report_due,
    )
    from actiontrack.errors import (
        ActiontrackError,
        AmbiguousIdError,
        ConfigError,
        ConflictError,
        ConversionError,
        NotFoundError,
        OutsideEditError,
        RuleViolation,
        ScopeError,
        StoreCorruptError,
        StoreError,
        StoreLockedError,
        StoreMissingError,
        StoreNotAvailableError,
        StoreNotEmptyError,
        StoreVersionError,
        UnsafeWorkbookError,
        WorkbookError,
    )
    from actiontrack.excel import ExportResult, ImportResult, export_workbook, import_workbook
    from actiontrack.generate import generate_plan
    from actiontrack.service import (
        add_action,
        add_agency,
        add_evidence,
        add_learning_activity,
        add_measure,
        add_partnership,
        add_progress_update,
        add_recommendation,
        add_review,
        edit,
        find_record,
        init_store,
        record_assurance_decision,
        record_chase,
        record_measurement,
        redact,
        rename_agency,
        respond_to_recommendation,
        revise_target_date,
        set_status,
        settle_outside_edits,
        withdraw,
    )
    from actiontrack.settings import Settings, find_settings, load_settings
    from actiontrack.store import (
        Delete,
        MemoryStore,
        OutsideEdit,
        Put,
        Receipt,
        Redact,
        Store,
        TinyDBStore,
        open_store,
    )
    from actiontrack.verify import Verification, verify_store

#: The module behind each public name.
_MODULES: dict[str, tuple[str, ...]] = {
    "actiontrack.adopt": (
        "AdoptResult", "TrackerMap", "adopt_tracker", "read_map",
    ),
    "actiontrack.auditing": (
        "AuditConfig", "AuditResult", "Finding", "Flag", "Severity", "Waiver", "audit", "rule",
    ),
    "actiontrack.chasing": (
        "ChaseResult", "ChaseSettings", "Outbox", "SmtpServer", "chase_owners",
    ),
    "actiontrack.convert": (
        "structure", "unstructure",
    ),
    "actiontrack.domain": (
        "ALLOWED_TRANSITIONS", "Action", "ActionStatus", "Agency", "AssuranceDecision",
        "AssuranceOutcome", "COMPLETE_STATUSES", "ChangeKind", "Chase", "ClockState", "DayOne",
        "Deadline",
        "Evidence", "EvidenceKind", "EvidenceTier", "HistoryEntry", "LearningActivity",
        "LearningActivityKind", "Measure", "Measurement", "OPEN_STATUSES", "Partnership",
        "PartnershipKind", "Plan",
        "ProgressUpdate", "RECORD_KINDS", "Rag", "RagPolicy", "Recommendation",
        "RecommendationScope", "RecommendationStatus", "Record", "Response", "Review", "ReviewKind",
        "StatutoryClock", "TargetRevision", "Want", "WorkingDays", "add_months", "change_status",
        "kind_of",
        "rag", "recommendation_status", "review_deadlines", "revise_target", "yearly_report_due",
    ),
    "actiontrack.errors": (
        "ActiontrackError", "AmbiguousIdError", "ConfigError", "ConflictError", "ConversionError",
        "NotFoundError", "OutsideEditError", "RuleViolation", "ScopeError", "StoreCorruptError",
        "StoreError", "StoreLockedError", "StoreMissingError", "StoreNotAvailableError",
        "StoreNotEmptyError", "StoreVersionError", "UnsafeWorkbookError", "WorkbookError",
    ),
    "actiontrack.excel": (
        "ExportResult", "ImportResult", "export_workbook", "import_workbook",
    ),
    "actiontrack.generate": (
        "generate_plan",
    ),
    "actiontrack.service": (
        "add_action", "add_agency", "add_evidence", "add_learning_activity", "add_partnership",
        "add_measure", "add_progress_update", "add_recommendation", "add_review", "edit",
        "find_record", "record_measurement",
        "init_store", "record_assurance_decision", "record_chase", "redact", "rename_agency",
        "respond_to_recommendation", "revise_target_date", "set_status", "settle_outside_edits",
        "withdraw",
    ),
    "actiontrack.settings": (
        "Settings", "find_settings", "load_settings",
    ),
    "actiontrack.store": (
        "Delete", "MemoryStore", "OutsideEdit", "Put", "Receipt", "Redact", "Store",
        "TinyDBStore", "open_store",
    ),
    "actiontrack.verify": (
        "Verification", "verify_store",
    ),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use, and keep the name here for next time."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'actiontrack' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

__version__ = "0.1.0"

__all__ = [
    "ALLOWED_TRANSITIONS",
    "COMPLETE_STATUSES",
    "OPEN_STATUSES",
    "RECORD_KINDS",
    "Action",
    "ActionStatus",
    "ActiontrackError",
    "AdoptResult",
    "Agency",
    "AmbiguousIdError",
    "AssuranceDecision",
    "AssuranceOutcome",
    "AuditConfig",
    "AuditResult",
    "ChangeKind",
    "Chase",
    "ChaseResult",
    "ChaseSettings",
    "ClockState",
    "ConfigError",
    "ConflictError",
    "ConversionError",
    "DayOne",
    "Deadline",
    "Delete",
    "Evidence",
    "EvidenceKind",
    "EvidenceTier",
    "ExportResult",
    "Finding",
    "Flag",
    "HistoryEntry",
    "ImportResult",
    "LearningActivity",
    "LearningActivityKind",
    "Measure",
    "Measurement",
    "MemoryStore",
    "NotFoundError",
    "Outbox",
    "OutsideEdit",
    "OutsideEditError",
    "Partnership",
    "PartnershipKind",
    "Plan",
    "ProgressUpdate",
    "Put",
    "Rag",
    "RagPolicy",
    "Receipt",
    "Recommendation",
    "RecommendationScope",
    "RecommendationStatus",
    "Record",
    "Redact",
    "Response",
    "Review",
    "ReviewKind",
    "RuleViolation",
    "ScopeError",
    "Settings",
    "Severity",
    "SmtpServer",
    "StatutoryClock",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreMissingError",
    "StoreNotAvailableError",
    "StoreNotEmptyError",
    "StoreVersionError",
    "TargetRevision",
    "TinyDBStore",
    "TrackerMap",
    "UnsafeWorkbookError",
    "Verification",
    "Waiver",
    "Want",
    "WorkbookError",
    "WorkingDays",
    "__version__",
    "add_action",
    "add_agency",
    "add_evidence",
    "add_learning_activity",
    "add_measure",
    "add_months",
    "add_partnership",
    "add_progress_update",
    "add_recommendation",
    "add_review",
    "adopt_tracker",
    "audit",
    "change_status",
    "chase_owners",
    "edit",
    "export_workbook",
    "find_record",
    "find_settings",
    "generate_plan",
    "import_workbook",
    "init_store",
    "kind_of",
    "load_settings",
    "open_store",
    "rag",
    "read_map",
    "recommendation_status",
    "record_assurance_decision",
    "record_chase",
    "record_measurement",
    "redact",
    "rename_agency",
    "respond_to_recommendation",
    "review_deadlines",
    "revise_target",
    "revise_target_date",
    "rule",
    "set_status",
    "settle_outside_edits",
    "structure",
    "unstructure",
    "verify_store",
    "withdraw",
    "yearly_report_due",
]
