"""Creating users with roles (used by the admin, the demo set-up and tests)."""
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Profile


@transaction.atomic
def create_user(username: str, password: str, role: str, *, division=None, enterprise=None,
                lab=None, inspector=None, sentinel_hospital=None, full_name: str = "",
                email: str = "") -> object:
    User = get_user_model()
    user = User.objects.create_user(username=username, password=password, email=email,
                                    first_name=full_name)
    profile = Profile(user=user, role=role, division=division, enterprise=enterprise, lab=lab,
                      inspector=inspector, sentinel_hospital=sentinel_hospital)
    profile.full_clean(exclude=["user"])
    profile.save()
    return user
