"""A DRF permission class per module of the role matrix. The matrix itself is the user model's: `user.can()`."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

READ, WRITE = "read", "write"  # the access levels of the role matrix (apps.accounts.roles)


def module_permission(module: str, *, write_methods_need: str = WRITE, read_access: str = READ):
    """Permission class requiring `module` access: read for safe methods, write for the others."""

    class HasModulePermission(BasePermission):
        message = f"Your role does not grant access to '{module}'."

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            access = read_access if request.method in SAFE_METHODS else write_methods_need
            return user.can(module, access)

    HasModulePermission.__name__ = f"Has{module.title().replace('_', '')}Permission"
    HasModulePermission.module = module
    return HasModulePermission
