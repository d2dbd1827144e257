"""`manage.py customer_user_role_remove`: Remove-PartnerCustomerUserRoleMember / C#
`DirectoryRoles.ById(roleId).UserMembers.ById(userId).Delete()`."""

from __future__ import annotations

from users.management.commands._role_member import RoleMemberCommand


class Command(RoleMemberCommand):
    help = "Take a directory (admin) role away from a user (Remove-PartnerCustomerUserRoleMember)."
    adds = False
