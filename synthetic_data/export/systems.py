"""FHIR-side URIs of the export: identifier systems, extension URLs, FR Core code systems.

Clinical code-system URIs (LOINC, CIM-10, ATC…) belong to `synthetic_data.terminology`; this
module holds only what the FHIR shapes need. Sources: FR Core IG (hl7.fr/ig/fhir/core), ANS
nomenclatures (mos.esante.gouv.fr), IHE MHD.
"""

# Synthetic-data tags carried by every resource.
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SANTELAB_SEED = "https://santelab.example/fhir/CodeSystem/seed"
SANTELAB_PATIENT_ID = "https://santelab.example/fhir/NamingSystem/patient-id"  # local IPP
SANTELAB_ENCOUNTER_ID = "https://santelab.example/fhir/NamingSystem/encounter-id"  # visit number

# Patient identity (FR Core). The INS OIDs live in `synthetic_data.nir` (only test OIDs emitted).
FR_CORE_IDENTIFIER_TYPE = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
FR_CORE_ENCOUNTER_IDENTIFIER_TYPE = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identifier-type"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
IDENTITY_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
IDENTITY_STATUS = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
ADDRESS_INSEE_CODE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
INSEE_COMMUNE = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
INSEE_COUNTRY = "https://mos.esante.gouv.fr/NOS/TRE_R20-Pays/FHIR/TRE-R20-Pays"
BIRTH_LIST_GIVEN_NAME = (
    "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
)

# FR Core profiles each resource declares in meta.profile (FR Core IG 2.x canonical URLs).
_FR_CORE_PROFILE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
PROFILE_PATIENT = _FR_CORE_PROFILE + "fr-core-patient"
PROFILE_PATIENT_INS = _FR_CORE_PROFILE + "fr-core-patient-ins"
PROFILE_PRACTITIONER = _FR_CORE_PROFILE + "fr-core-practitioner"
PROFILE_PRACTITIONER_ROLE = _FR_CORE_PROFILE + "fr-core-practitioner-role"
PROFILE_ORGANIZATION = _FR_CORE_PROFILE + "fr-core-organization"
PROFILE_ENCOUNTER = _FR_CORE_PROFILE + "fr-core-encounter"

# Professionals and structures.
RPPS = "https://rpps.esante.gouv.fr"
ID_NAT_PS = "urn:oid:1.2.250.1.71.4.2.1"
FINESS = "https://finess.esante.gouv.fr"
ID_NAT_ST = "urn:oid:1.2.250.1.71.4.2.2"
TRE_G15_PROFESSION = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
TRE_R38_SPECIALTY = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)

# Encounters, observations.
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
UCUM = "http://unitsofmeasure.org"

# DMP documents (IHE MHD / CI-SIS).
J57_CLASS_CODE = "urn:oid:1.2.250.1.213.1.1.4.1"
J58_CONFIDENTIALITY = "urn:oid:1.2.250.1.213.1.1.4.13"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
IHE_FORMAT_CODE = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
DOCUMENT_UNIQUE_ID = "urn:ietf:rfc:3986"
