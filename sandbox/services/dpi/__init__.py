"""DPI: the establishment's own hospital record system (care units, inpatients, medication
orders, nurses' administrations), its shared file folder, and the continuity capsule — what a
ransomware really hits while the national services stay up."""
