"""Default role permissions on complaints and reports (DESIGN §2).

Only regulator staff handle cases; the public submits and follows its own case
by ticket number and verification code on the portal (no account needed).
Enterprises and agencies do not see complaints (Art. 33: the reporter's data
and the handling are confidential).
"""

ROLE_PERMISSIONS = {
    "province_admin": {"complaints.case": "vacd"},
    "officer": {"complaints.case": "vac"},
    "inspector": {"complaints.case": "v"},
}
