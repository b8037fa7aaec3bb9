"""Roles and the role → permission matrix (seed 003, extended with assessor and customer).

Declared once here and used by the JWT claims, the API permission classes and the admin.
The token's `permissions` claim lists module names as seed 003 does (["dashboard", "upload", "cases"]): a plain
`<module>` means "may use this module" (at least read), and `<module>:write` is added when the role may also
change things there. So `permissions.includes("dashboard")` holds for every role with a dashboard, and
`includes("cases:write")` tells a front end whether to offer the edit buttons. The server decides with
`role_can()` from the matrix below, never from the claim.
"""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    MANAGER = "manager", "Manager"
    AGENT = "agent", "Agent"
    ASSESSOR = "assessor", "Assessor"
    VIEWER = "viewer", "Viewer"
    CUSTOMER = "customer", "Customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR, Role.VIEWER})
ALL_ROLES = frozenset(Role)

READ = "read"
WRITE = "write"

A, M, AG, AS, V, C = Role.ADMIN, Role.MANAGER, Role.AGENT, Role.ASSESSOR, Role.VIEWER, Role.CUSTOMER

# module -> {access level -> roles}. WRITE implies READ.
PERMISSION_MATRIX: dict[str, dict[str, frozenset[str]]] = {
    # seed 003
    "dashboard": {WRITE: frozenset({A, M}), READ: frozenset({AG, AS, V})},
    "upload": {WRITE: frozenset({A, M})},
    "cases": {WRITE: frozenset({A, M, AG}), READ: frozenset({V})},
    "emails": {WRITE: frozenset({A, M, AG})},
    "campaigns": {WRITE: frozenset({A, M})},
    "settings": {WRITE: frozenset({A})},
    "users": {WRITE: frozenset({A}), READ: frozenset({M})},
    "analytics": {WRITE: frozenset({A, M}), READ: frozenset({V})},
    # extensions for the other bounded contexts
    "customers": {WRITE: frozenset({A, M, AG})},
    "policies": {WRITE: frozenset({A, M, AG})},
    "claims": {WRITE: frozenset({A, M, AG, AS}), READ: frozenset({V})},
    "assessments": {WRITE: frozenset({A, M, AS}), READ: frozenset({AG, V})},
    "documents": {WRITE: frozenset({A, M, AG, AS}), READ: frozenset({V})},
    "billing": {WRITE: frozenset({A, M, AG}), READ: frozenset({V})},
    # Pricing: products, rating rules and commission rates change only by administrators.
    "pricing": {WRITE: frozenset({A}), READ: frozenset({M, AG})},
    "crm": {WRITE: frozenset({A, M, AG}), READ: frozenset({V})},
    "support": {WRITE: frozenset({A, M, AG}), READ: frozenset({V})},
    # SMS/WhatsApp inbox, consent ledger, DNC list (removing a DNC entry: admins and managers, in the view)
    "messaging": {WRITE: frozenset({A, M, AG})},
    "audit": {READ: frozenset({A})},
    "teams": {WRITE: frozenset({A}), READ: frozenset({M, AG, AS, V})},
    # every signed-in person, customers included (their own data, scoped by selectors)
    "profile": {WRITE: ALL_ROLES},
    "notifications": {WRITE: ALL_ROLES},
    "self_service": {WRITE: frozenset({C})},
    # surveys: managers and admins build and publish; agents read their customers' results (rows by selector)
    "surveys": {WRITE: frozenset({A, M}), READ: frozenset({AG, V})},
}


def role_can(role: str, module: str, access: str = READ) -> bool:
    grants = PERMISSION_MATRIX.get(module)
    if grants is None:
        raise KeyError(f"Unknown permission module {module!r}")
    if role in grants.get(WRITE, ()):
        return True
    return access == READ and role in grants.get(READ, ())


def permissions_for_role(role: str) -> list[str]:
    """Token/`me` form, in matrix order: `module` for any access, then `module:write` when the role may write."""
    result = []
    for module, grants in PERMISSION_MATRIX.items():
        if role in grants.get(WRITE, ()):
            result += [module, f"{module}:{WRITE}"]
        elif role in grants.get(READ, ()):
            result.append(module)
    return result
