"""The customers app's models: the directory's tables (`customers/directory/models.py`)."""

from customers.directory.models import (  # noqa: F401 (Django finds models through this module)
    DirectoryBudget,
    DirectoryCustomer,
    DirectoryDomain,
    DirectoryRole,
    DirectoryRoleMember,
    DirectorySku,
    DirectoryUser,
    DirectoryUserLicenses,
    DirectoryUserSku,
    DirectoryWord,
)
