"""Default role permissions on targets and the assessment (DESIGN §2).

The province configures elements, indicators, target sets and assessment schemes, approves
entered values and reviews the cities' assessments. City and county officers read progress of
their division and below, enter data values for it, and (cities) fill in their self-assessment.
Award applications, recognised brands and demonstration zones (issue 12 §3): officers keep them
in their region (the step rules — provincial and national awards decided and paid by the
province — are in ``award_services``); an enterprise user sees, creates and submits its own
applications. Nothing is public yet: progress is published with the quality-status report (issue 12 §4).
"""

ROLE_PERMISSIONS = {
    "province_admin": {"targets.dataelement": "vacd", "targets.indicator": "vacd", "targets.datavalue": "vacd",
                       "targets.targetset": "vacd", "targets.target": "vacd", "targets.assessmentscheme": "vacd",
                       "targets.assessmentitem": "vacd", "targets.assessment": "vacd",
                       "targets.awardapplication": "vac", "targets.brand": "vacd",
                       "targets.demonstrationzone": "vacd"},
    "officer": {"targets.dataelement": "v", "targets.indicator": "v", "targets.datavalue": "vac",
                "targets.targetset": "v", "targets.target": "v", "targets.assessmentscheme": "v",
                "targets.assessmentitem": "v", "targets.assessment": "vc",
                "targets.awardapplication": "vac", "targets.brand": "vacd", "targets.demonstrationzone": "vacd"},
    "enterprise": {"targets.awardapplication": "vac"},
}

# Quality-status reports: the province and city officers request reports of their own division
# (and see those below it); the province publishes them on the portal.
ROLE_PERMISSIONS["province_admin"]["targets.qualityreport"] = "vacd"
ROLE_PERMISSIONS["officer"]["targets.qualityreport"] = "va"
