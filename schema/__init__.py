"""Models shared by every layer of mentorgraph, and the graph schema itself."""

from schema.models import (
    Employee,
    EmployeePage,
    EmployeeSkill,
    LearningGoal,
    Pairing,
    PairingFeedback,
    PairingStatus,
    Skill,
    SkillHit,
    SkillHolding,
    SkillLearner,
    SkillSource,
)

__all__ = [
    "Employee",
    "EmployeePage",
    "EmployeeSkill",
    "LearningGoal",
    "Pairing",
    "PairingFeedback",
    "PairingStatus",
    "Skill",
    "SkillHit",
    "SkillHolding",
    "SkillLearner",
    "SkillSource",
]
