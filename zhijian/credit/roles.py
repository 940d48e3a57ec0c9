"""Default role permissions on quality credit (DESIGN §2)."""

ROLE_PERMISSIONS = {
    "province_admin": {"credit.eventtype": "vacd", "credit.method": "vacd", "credit.creditevent": "vacd",
                       "credit.grade": "v", "credit.gradingrun": "vac", "credit.enterpriselisting": "vacd",
                       "credit.penaltypublication": "vacd", "credit.repairapplication": "vc",
                       "credit.externalcreditrecord": "vacd", "credit.agencyquery": "v",
                       "credit.exchangeexport": "va"},
    "officer": {"credit.eventtype": "v", "credit.method": "v", "credit.creditevent": "vac",
                "credit.grade": "v", "credit.gradingrun": "v", "credit.enterpriselisting": "vac",
                "credit.penaltypublication": "vac", "credit.repairapplication": "vc",
                "credit.externalcreditrecord": "v", "credit.agencyquery": "v"},
    "inspector": {"credit.eventtype": "v", "credit.method": "v", "credit.grade": "v"},
    "lab": {"credit.eventtype": "v", "credit.method": "v"},
    "enterprise": {"credit.eventtype": "v", "credit.method": "v", "credit.creditevent": "v",
                   "credit.grade": "v", "credit.enterpriselisting": "v", "credit.penaltypublication": "v",
                   "credit.repairapplication": "va"},
    "agency": {"credit.eventtype": "v", "credit.method": "v", "credit.grade": "v",
               "credit.enterpriselisting": "v", "credit.penaltypublication": "v"},
}
