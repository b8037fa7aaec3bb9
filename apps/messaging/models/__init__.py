from .email import (
    ClassifierModel,
    Email,
    EmailAccount,
    EmailCategory,
    EmailEvent,
    EmailLink,
    EmailPriority,
    EmailStatus,
    EmailTemplate,
    TrainingExample,
)

__all__ = [
    "ClassifierModel",
    "Email",
    "EmailAccount",
    "EmailCategory",
    "EmailEvent",
    "EmailLink",
    "EmailPriority",
    "EmailStatus",
    "EmailTemplate",
    "TrainingExample",
]
