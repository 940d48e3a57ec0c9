"""Default role permissions on enforcement cases (DESIGN §2).

Cases are handled by officers (their division and below) and the province; inspectors
read them. The case file (evidence, statements, hearing records, transfers) is not shown
to the enterprise: an enterprise user reads its own penalty decisions once they are made
(``PenaltyDecision``, scoped to the case's enterprise), and the public reads published
penalties through the credit app. Agencies and labs see nothing here.
"""

ROLE_PERMISSIONS = {
    "province_admin": {"enforcement.case": "vac", "enforcement.penaltydecision": "vc",
                       "enforcement.judicialtransfer": "vc", "enforcement.hearingthreshold": "vacd"},
    "officer": {"enforcement.case": "vac", "enforcement.penaltydecision": "vc", "enforcement.judicialtransfer": "vc",
                "enforcement.hearingthreshold": "v"},
    "inspector": {"enforcement.case": "v", "enforcement.penaltydecision": "v", "enforcement.judicialtransfer": "v"},
    "enterprise": {"enforcement.penaltydecision": "v"},
}
