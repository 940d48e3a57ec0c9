"""Default role permissions on risk monitoring (DESIGN §2).

Incidents are reported by enterprises (their own) and by officers; injury cases hold
personal data of injured people and are seen by regulator staff who handle them
(officers and the province), not by inspectors, labs, enterprises or agencies.
Published alerts reach the public as consumer warnings on the portal.
Staff of a sentinel hospital (role *hospital*) submit, import and read their own hospital's
cases and read their hospital's record, nothing else of the platform.
Public-opinion sources are configured by the province; items and stories are read by
officers of the region, who triage the stories; nothing of it is public.
"""

ROLE_PERMISSIONS = {
    "province_admin": {"risk.incidentlevel": "vacd", "risk.incident": "vacd", "risk.sentinelhospital": "vacd",
                       "risk.injurycase": "vacd", "risk.alert": "vacd", "risk.alertreaction": "vacd",
                       "risk.riskassessment": "vacd", "risk.signal": "vc", "risk.signaldefinition": "vacd",
                       "risk.opinionsource": "vacd", "risk.opinionitem": "v", "risk.opinionstory": "vc"},
    "officer": {"risk.incidentlevel": "v", "risk.incident": "vac", "risk.sentinelhospital": "vac",
                "risk.injurycase": "vac", "risk.alert": "vac", "risk.alertreaction": "vac",
                "risk.riskassessment": "vac", "risk.signal": "vc", "risk.signaldefinition": "v",
                "risk.opinionsource": "v", "risk.opinionitem": "v", "risk.opinionstory": "vc"},
    "inspector": {"risk.incidentlevel": "v", "risk.incident": "v", "risk.alert": "v", "risk.riskassessment": "v",
                  "risk.signal": "v", "risk.signaldefinition": "v"},
    "enterprise": {"risk.incidentlevel": "v", "risk.incident": "va"},
    "agency": {"risk.incidentlevel": "v", "risk.alert": "v"},
    "hospital": {"risk.sentinelhospital": "v", "risk.injurycase": "vac"},
}
