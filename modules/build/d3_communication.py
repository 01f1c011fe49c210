"""D3 « La communication en santé »: the notebooks of the assignment d3_communication."""

from __future__ import annotations

from santelab.course.authoring import INTRO_TESTS, NotebookBuilder

SETUP_ANNUAIRE = '''
import io
import zipfile
from email.message import EmailMessage

from santelab.course.student import connect_personas

s, patiente = connect_personas("medecin", "patient")
from sandbox.client import SandboxError, connect

moi = s.annuaire.get("Practitioner", s.me()["practitioner_id"])
ins_patiente = patiente.dmp.consent().ins
mon_adresse = next(t["value"] for t in moi["telecom"] if t["system"] == "email")
print(f"Connecté comme Dr {moi['name'][0]['given'][0]} {moi['name'][0]['family']} ({mon_adresse}).")
'''


def annuaire_mssante() -> NotebookBuilder:
    nb = NotebookBuilder("d3-01")
    nb.md(f'''
    # D3 · Notebook 1 — Trouver un confrère et lui écrire par MSSanté

    **Compétences travaillées**
    - **D3.1** Échanger avec les professionnels par messagerie sécurisée (MSSanté) et
      l'Annuaire Santé
    - **D3.2** Choisir le bon canal et le bon contenu pour chaque échange ; ce qui ne doit
      jamais partir par messagerie ordinaire

    **Durée estimée : 3 h 10** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    La cellule suivante vous connecte au bac à sable comme **médecin généraliste** (persona
    `medecin`) et lit votre fiche dans l'Annuaire Santé. Si un message ⚠️ s'affiche, suivez ce
    qu'il indique.
    ''')
    nb.code(SETUP_ANNUAIRE)
    nb.md('''
    ## 1. L'Annuaire Santé
    L'**Annuaire Santé** recense les professionnels (numéro **RPPS**, 11 chiffres), leurs
    activités et les structures (numéro **FINESS**). Il publie aussi les **adresses MSSanté** :
    c'est lui qui définit l'**espace de confiance** de la messagerie sécurisée de santé.
    Son interface suit FHIR : `Practitioner` (le professionnel), `PractitionerRole` (son
    activité : profession, spécialité, structure), `Organization` (la structure).

    Le client du bac à sable cherche avec `s.annuaire.practitioners(...)` ; quelques
    paramètres : `name=`, `profession=` (code TRE_G15 : `10` médecin, `21` pharmacien, `60`
    infirmier…), `specialty=` (code TRE_R38 : `SM54` médecine générale, `SM04` cardiologie et
    maladies vasculaires, `SM41` pneumologie…), `commune=`. Regardez une ressource :
    ''')
    nb.code('''
    moi
    ''')
    nb.md('''
    ## Exercice 1 — Trouver les cardiologues (30 min)
    Construisez `cardiologues`, la liste des médecins spécialistes en **cardiologie et maladies
    vasculaires** de l'annuaire, **triée par nom**, chacun sous la forme d'un dictionnaire :
    `{"nom": ..., "prenom": ..., "rpps": ..., "mssante": ...}`.
    - le RPPS est l'`identifier` dont le `system` est `https://rpps.esante.gouv.fr` ;
    - l'adresse MSSanté est l'élément de `telecom` dont le `system` est `email`.
    ''')
    nb.answer("d3-01-cardiologues", '''
    ### BEGIN SOLUTION
    def fiche(practitioner: dict) -> dict:
        rpps = next(i["value"] for i in practitioner["identifier"]
                    if i["system"] == "https://rpps.esante.gouv.fr")
        mssante = next(t["value"] for t in practitioner["telecom"] if t["system"] == "email")
        nom = practitioner["name"][0]
        return {"nom": nom["family"], "prenom": nom["given"][0], "rpps": rpps, "mssante": mssante}


    resultats = s.annuaire.practitioners(profession="10", specialty="SM04", _count=100)
    cardiologues = sorted((fiche(p) for p in resultats), key=lambda f: f["nom"])
    ### END SOLUTION
    cardiologues
    ''')
    nb.tests("d3-01-cardiologues-tests", '''
    assert isinstance(cardiologues, list) and cardiologues, "`cardiologues` est une liste non vide."
    assert all(set(c) == {"nom", "prenom", "rpps", "mssante"} for c in cardiologues), (
        "Chaque cardiologue : un dictionnaire avec les clés nom, prenom, rpps, mssante."
    )
    assert all(len(c["rpps"]) == 11 and c["rpps"].isdigit() for c in cardiologues), (
        "Le RPPS a 11 chiffres : prenez l'identifiant dont le system est https://rpps.esante.gouv.fr."
    )
    assert [c["nom"] for c in cardiologues] == sorted(c["nom"] for c in cardiologues), "Triez par nom."
    ### BEGIN HIDDEN TESTS
    attendu = s.annuaire.roles(profession="10", specialty="SM04", _count=100)
    rpps_attendus = set()
    for role in attendu:
        pid = role["practitioner"]["reference"].split("/")[-1]
        p = s.annuaire.get("Practitioner", pid)
        rpps_attendus |= {i["value"] for i in p["identifier"] if i["system"] == "https://rpps.esante.gouv.fr"}
    assert {c["rpps"] for c in cardiologues} == rpps_attendus
    assert all(c["mssante"].endswith(".mssante.fr") for c in cardiologues)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D3.1"], minutes=30)
    nb.md('''
    ## 2. MSSanté, un espace de confiance
    Une adresse MSSanté appartient à un domaine **`mssante.fr`** (ou l'un de ses
    sous-domaines : `medecin.mssante.fr`, `ch-exemple.mssante.fr`…). Les boîtes aux lettres
    (BAL) sont de plusieurs types : **PER** personnelle (un professionnel), **ORG**
    organisationnelle (un service, un secrétariat), **APP** applicative (un logiciel qui envoie
    ou reçoit automatiquement, par exemple des résultats de laboratoire), **CAB** cabinet.
    ''')
    nb.md('''
    ## Exercice 2 — Reconnaître une adresse MSSanté (20 min)
    Écrivez `est_adresse_mssante(adresse)` qui renvoie `True` si l'adresse a exactement un `@`,
    une partie locale non vide et un domaine égal à `mssante.fr` ou se terminant par
    `.mssante.fr` (sans tenir compte des majuscules), `False` sinon.
    ''')
    nb.answer("d3-01-adresse", '''
    def est_adresse_mssante(adresse: str) -> bool:
        ### BEGIN SOLUTION
        if adresse.count("@") != 1:
            return False
        locale, domaine = adresse.split("@")
        domaine = domaine.lower()
        return bool(locale) and (domaine == "mssante.fr" or domaine.endswith(".mssante.fr"))
        ### END SOLUTION
    ''')
    nb.tests("d3-01-adresse-tests", '''
    assert est_adresse_mssante(mon_adresse), "Votre propre adresse de l'annuaire est une adresse MSSanté."
    assert not est_adresse_mssante("jean.dupont@gmail.com"), "Une messagerie grand public n'est pas MSSanté."
    assert est_adresse_mssante("Cardio@CH-Exemple.MSSante.fr"), "Les majuscules ne comptent pas."
    ### BEGIN HIDDEN TESTS
    assert not est_adresse_mssante("secretariat@mssante.fr.envoi-securise.com")
    assert not est_adresse_mssante("x@monmssante.fr")
    assert not est_adresse_mssante("@medecin.mssante.fr")
    assert not est_adresse_mssante("a@b@medecin.mssante.fr")
    assert est_adresse_mssante("labo@mssante.fr")
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D3.1"], minutes=20)
    nb.md('''
    ## Exercice 3 — Types de boîtes (10 min)
    Donnez le type (`"PER"`, `"ORG"`, `"APP"`, `"CAB"`) de chaque boîte.
    ''')
    nb.classify(
        "d3-01-types-bal", items="boites", answer="type_bal", choices="TYPES_BAL",
        preamble='TYPES_BAL = {"PER", "ORG", "APP", "CAB"}',
        entries=[
            ("jean-marie.dupont@infirmier.mssante.fr — l'adresse d'un infirmier libéral", "PER"),
            ("cardio@ch-exemple.mssante.fr — le secrétariat du service de cardiologie", "ORG"),
            ("resultats@labo-exemple.mssante.fr — le logiciel du laboratoire qui envoie les résultats", "APP"),
            ("cabinet.pasteur@cabinet.mssante.fr — la boîte commune d'un cabinet de groupe", "CAB"),
        ],
        each="Un type pour chaque boîte.",
        points=1, competencies=["D3.1"], minutes=10)
    nb.md('''
    ## 3. Un document patient par MSSanté
    Un document médical ne voyage pas comme un simple fichier joint : il est enveloppé dans
    une archive **`IHE_XDM.ZIP`** (profil IHE XDM) qui contient :
    - `INDEX.HTM` et `README.TXT` (une page et un texte lisibles par un humain) ;
    - `IHE_XDM/SUBSET01/METADATA.XML` : les **métadonnées** (patient désigné par son **INS**,
      type de document, classe…) ;
    - `IHE_XDM/SUBSET01/DOC0001.XML` : le document lui-même (un CDA).

    Le message porte aussi des **en-têtes** définis par le référentiel socle MSSanté :
    `X-MSS-CODECDA` (le code LOINC du type du document CDA joint) et `X-MSS-INS` (`O` si le
    document porte une INS **qualifiée**, `N` sinon).

    La cellule suivante fournit un compte rendu CDA (simplifié) et ses métadonnées.
    ''')
    nb.code('''
    from sandbox.messaging.xdm import INS_TEST_OID
    from sandbox.messaging.xdm import metadata_xml as xds_metadata

    TYPE_CR = "11488-4"  # compte rendu de consultation
    titre = "Demande d'avis cardiologique"
    cda = f"""<?xml version="1.0" encoding="UTF-8"?>
    <ClinicalDocument xmlns="urn:hl7-org:v3">
      <code code="{TYPE_CR}" codeSystem="2.16.840.1.113883.6.1"/>
      <title>{titre}</title>
      <recordTarget><patientRole>
        <id extension="{ins_patiente}" root="1.2.250.1.213.1.4.10"/>
      </patientRole></recordTarget>
      <component><nonXMLBody><text>Patiente de 81 ans, dyspnée d'effort et souffle systolique.
      Merci de votre avis.</text></nonXMLBody></component>
    </ClinicalDocument>
    """.encode()


    def metadata_xml(ins: str, type_code: str, class_code: str, titre: str, document: bytes) -> bytes:
        """Métadonnées XDS du document (SubmitObjectsRequest) : patient = INS, type, classe, empreinte."""
        return xds_metadata(ins=ins, ins_oid=INS_TEST_OID, type_code=type_code, class_code=class_code,
                            confidentiality="N", title=titre, document=document, pdf=False)
    ''')
    nb.md('''
    ## Exercice 4 — Construire l'archive IHE_XDM.ZIP (30 min)
    Écrivez `construire_xdm(ins, document, titre)` qui renvoie les **octets** d'une archive zip
    contenant les quatre entrées ci-dessus, avec exactement ces noms : `INDEX.HTM` et
    `README.TXT` (un court texte de votre choix), `IHE_XDM/SUBSET01/METADATA.XML` (produit par
    `metadata_xml(ins, TYPE_CR, "10", titre, document)`) et `IHE_XDM/SUBSET01/DOC0001.XML` (le document).
    Indice : `io.BytesIO()` et `zipfile.ZipFile(tampon, "w")`, puis `writestr`.
    ''')
    nb.answer("d3-01-xdm", '''
    def construire_xdm(ins: str, document: bytes, titre: str) -> bytes:
        ### BEGIN SOLUTION
        tampon = io.BytesIO()
        with zipfile.ZipFile(tampon, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("INDEX.HTM", "<html><body>Document de santé : IHE_XDM/SUBSET01/DOC0001.XML</body></html>")
            archive.writestr("README.TXT", "Archive IHE XDM (données fictives).")
            archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", metadata_xml(ins, TYPE_CR, "10", titre, document))
            archive.writestr("IHE_XDM/SUBSET01/DOC0001.XML", document)
        return tampon.getvalue()
        ### END SOLUTION
    ''')
    nb.tests("d3-01-xdm-tests", '''
    octets = construire_xdm(ins_patiente, cda, titre)
    assert isinstance(octets, bytes), "La fonction renvoie les octets de l'archive (bytes)."
    with zipfile.ZipFile(io.BytesIO(octets)) as archive:
        noms = set(archive.namelist())
        assert "IHE_XDM/SUBSET01/DOC0001.XML" in noms, "Le document doit être IHE_XDM/SUBSET01/DOC0001.XML."
        ### BEGIN HIDDEN TESTS
        assert noms == {"INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML",
                        "IHE_XDM/SUBSET01/DOC0001.XML"}
        assert archive.read("IHE_XDM/SUBSET01/DOC0001.XML") == cda
        assert ins_patiente.encode() in archive.read("IHE_XDM/SUBSET01/METADATA.XML")
        assert archive.read("README.TXT").strip()
    autre = construire_xdm("123456789012345", b"<x/>", "t")
    with zipfile.ZipFile(io.BytesIO(autre)) as archive:
        assert b"123456789012345" in archive.read("IHE_XDM/SUBSET01/METADATA.XML")
        assert archive.read("IHE_XDM/SUBSET01/DOC0001.XML") == b"<x/>"
        ### END HIDDEN TESTS
    ''', points=3, competencies=["D3.1"], minutes=30)
    nb.md('''
    ## Exercice 5 — Composer le message (30 min)
    Écrivez `composer(expediteur, destinataire, ins, document, titre, ins_qualifiee)` qui
    renvoie un `EmailMessage` avec :
    - `From`, `To` et `Subject` (le titre) ;
    - un court texte d'accompagnement **sans donnée de santé** (le contenu médical est dans le
      document) ;
    - l'archive de `construire_xdm` en pièce jointe nommée `IHE_XDM.ZIP`, de type
      `application/zip` (`message.add_attachment(octets, maintype="application",
      subtype="zip", filename="IHE_XDM.ZIP")`) ;
    - les en-têtes `X-MSS-CODECDA` (le type du document, `TYPE_CR`) et `X-MSS-INS` (`"O"` si
      `ins_qualifiee`, `"N"` sinon).

    Puis composez `message`, adressé au **premier** de vos `cardiologues`, depuis `mon_adresse`.
    ''')
    nb.answer("d3-01-message", '''
    def composer(expediteur: str, destinataire: str, ins: str, document: bytes, titre: str,
                 ins_qualifiee: bool) -> EmailMessage:
        ### BEGIN SOLUTION
        message = EmailMessage()
        message["From"] = expediteur
        message["To"] = destinataire
        message["Subject"] = titre
        message["X-MSS-CODECDA"] = TYPE_CR
        message["X-MSS-INS"] = "O" if ins_qualifiee else "N"
        message.set_content("Cher confrère, veuillez trouver ci-joint ma demande d'avis. Bien à vous.")
        message.add_attachment(construire_xdm(ins, document, titre), maintype="application",
                               subtype="zip", filename="IHE_XDM.ZIP")
        return message
        ### END SOLUTION


    ### BEGIN SOLUTION
    message = composer(mon_adresse, cardiologues[0]["mssante"], ins_patiente, cda, titre, True)
    ### END SOLUTION
    print(message["From"], "->", message["To"], ":", message["Subject"])
    ''')
    nb.tests("d3-01-message-tests", '''
    assert message["To"] == cardiologues[0]["mssante"], "Adressez le message au premier cardiologue de la liste."
    assert message["From"] == mon_adresse, "L'expéditeur est votre adresse MSSanté."
    pieces = [p for p in message.iter_attachments()]
    assert [p.get_filename() for p in pieces] == ["IHE_XDM.ZIP"], "Une seule pièce jointe : IHE_XDM.ZIP."
    ### BEGIN HIDDEN TESTS
    assert pieces[0].get_content_type() == "application/zip"
    assert message["X-MSS-CODECDA"] == "11488-4" and message["X-MSS-INS"] == "O"
    assert message["Subject"] == titre
    non_qualifiee = composer("a@medecin.mssante.fr", "b@medecin.mssante.fr", ins_patiente, cda, "t", False)
    assert non_qualifiee["X-MSS-INS"] == "N"
    with zipfile.ZipFile(io.BytesIO(pieces[0].get_content())) as archive:
        assert archive.read("IHE_XDM/SUBSET01/DOC0001.XML") == cda
    corps = message.get_body(preferencelist=("plain",)).get_content()
    assert "dyspnée" not in corps and ins_patiente not in corps
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D3.1"], minutes=30)
    nb.md('''
    ## Exercice 6 — Envoyer pour de vrai (25 min)
    Envoyez maintenant le document à votre confrère de la persona `medecin2` (un médecin d'un
    autre cabinet, dont le nom s'affiche ci-dessous) : trouvez son adresse dans l'Annuaire
    (`name=...`), puis utilisez `s.mssante.send(to=..., subject=..., body=..., attachments=[("IHE_XDM.ZIP",
    octets, "application/zip")], headers={...})` avec vos en-têtes `X-MSS-CODECDA` et
    `X-MSS-INS`. Rangez la réponse du service dans `envoi`.

    Le service vérifie l'archive comme un vrai opérateur : une archive mal formée est refusée
    (exception `InvalidRequest`) et mise en quarantaine. Essayez aussi d'envoyer un message à
    `dr.alexandre@gmail.com` : rangez le message du refus dans `refus_hors_espace`.
    ''')
    nb.code('''
    fiche_m2 = s.annuaire.get("Practitioner", connect(persona="medecin2").me()["practitioner_id"])
    prenom_confrere, nom_confrere = fiche_m2["name"][0]["given"][0], fiche_m2["name"][0]["family"]
    print("Votre confrère :", prenom_confrere, nom_confrere)
    ''')
    nb.answer("d3-01-envoi", '''
    ### BEGIN SOLUTION
    fiche_confrere = next(p for p in s.annuaire.practitioners(name=nom_confrere, _count=100)
                          if p["name"][0]["given"][0] == prenom_confrere)
    adresse_confrere = next(t["value"] for t in fiche_confrere["telecom"] if t["system"] == "email")
    envoi = s.mssante.send(
        to=adresse_confrere, subject=titre,
        body="Cher confrère, veuillez trouver ci-joint ma demande d'avis. Bien à vous.",
        attachments=[("IHE_XDM.ZIP", construire_xdm(ins_patiente, cda, titre), "application/zip")],
        headers={"X-MSS-CODECDA": TYPE_CR, "X-MSS-INS": "O"})
    try:
        s.mssante.send(to="dr.alexandre@gmail.com", subject="Test", body="Bonjour")
        refus_hors_espace = ""
    except SandboxError as erreur:
        refus_hors_espace = str(erreur)
    ### END SOLUTION
    print(envoi)
    ''')
    nb.tests("d3-01-envoi-tests", '''
    confrere = connect(persona="medecin2")
    recus = [m for m in confrere.mssante.inbox() if m.sender == mon_adresse]
    assert recus, "Votre confrère (medecin2) n'a reçu aucun message de vous."
    assert "espace de confiance" in refus_hors_espace, (
        "Rangez dans `refus_hors_espace` le message du refus d'envoi vers gmail.com."
    )
    ### BEGIN HIDDEN TESTS
    lu = confrere.mssante.read(recus[-1].id)
    assert [a.filename for a in lu.attachments] == ["IHE_XDM.ZIP"]
    assert lu.headers.get("X-MSS-CODECDA") == "11488-4" and lu.headers.get("X-MSS-INS") == "O"
    documents = lu.documents()
    assert documents and documents[0].ins == ins_patiente
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D3.1"], minutes=25)
    nb.md('''
    ## 4. Le bon canal
    - **MSSanté** : entre professionnels (et établissements), pour tout échange contenant des
      données de santé d'un patient ;
    - **messagerie de Mon espace santé** : d'un professionnel vers son patient (le patient
      peut répondre si le professionnel l'autorise) ; l'adresse du patient est construite sur
      son INS (`<matricule INS>@patient.mssante.fr`) ;
    - **messagerie ordinaire** (y compris professionnelle non MSSanté) : jamais de données de
      santé identifiantes ; informations générales, logistique ;
    - **téléphone** : l'urgence, quand il faut une réponse immédiate (puis on trace l'échange
      dans le dossier).
    ''')
    nb.md('''
    ## Exercice 7 — Choisir le canal (20 min)
    Pour chaque situation, choisissez `"mssante"`, `"mes"` (messagerie de Mon espace santé),
    `"ordinaire"` ou `"telephone"`.
    ''')
    nb.classify(
        "d3-01-canal", items="cas", answer="canal", choices="CANAUX",
        preamble='CANAUX = {"mssante", "mes", "ordinaire", "telephone"}',
        entries=[
            ("envoyer un compte rendu d'hospitalisation au médecin traitant", "mssante"),
            ("transmettre au patient son compte rendu d'échographie et les consignes de suivi", "mes"),
            ("prévenir le réanimateur de garde d'une détresse respiratoire en salle", "telephone"),
            ("envoyer au kinésithérapeute l'ordonnance et le bilan d'un patient opéré", "mssante"),
            ("inviter les collègues du service au pot de départ de la cadre", "ordinaire"),
            ("demander à un confrère cardiologue un avis sur l'ECG d'un patient (non urgent)", "mssante"),
            ("rappeler à une patiente son rendez-vous et les documents à apporter (elle a Mon espace santé)", "mes"),
            ("envoyer au fournisseur le bon de commande de matériel du service", "ordinaire"),
        ],
        each="Un canal pour chaque situation.",
        hints='''
        assert canal[cas[0]] != "ordinaire", "Un compte rendu d'hospitalisation ne part jamais par messagerie ordinaire."
        ''',
        points=3, competencies=["D3.2"], minutes=20)
    nb.md('''
    ## Exercice 8 — L'erreur d'envoi (15 min)
    Une interne a envoyé depuis sa messagerie personnelle, à une adresse mal saisie, le compte
    rendu d'un patient. Que doit-elle faire, et que faut-il changer pour que cela ne se
    reproduise pas ?
    ''')
    nb.free_text("d3-01-erreur-envoi", rubric=[
        (1, "Reconnaît une violation de données de santé : prévenir immédiatement son encadrement "
            "et le délégué à la protection des données (DPO), qui évalue la notification à la CNIL "
            "(72 h) et l'information du patient."),
        (1, "Limiter les dégâts : demander au destinataire de supprimer le message, ne pas "
            "renvoyer les données par le même canal, tracer l'incident."),
        (1, "Prévention : utiliser MSSanté et les adresses de l'Annuaire Santé, jamais de "
            "messagerie personnelle ou ordinaire pour des données de santé."),
    ], solution='''
    C'est une **violation de données de santé** : elle prévient tout de suite son chef de
    service et le **DPO** de l'établissement, qui évalue la gravité, notifie la CNIL dans les
    72 heures si nécessaire et décide de l'information du patient. Elle écrit au destinataire
    pour lui demander de supprimer le message sans l'ouvrir davantage, sans renvoyer les
    données, et l'incident est tracé. Pour l'avenir : les documents patients partent
    uniquement par **MSSanté**, à une adresse trouvée dans l'**Annuaire Santé** (le logiciel la
    propose), jamais depuis une messagerie personnelle ou ordinaire.
    ''', competencies=["D3.2"], minutes=15)
    return nb


SETUP_PATIENTS = '''
import re

import pandas as pd

from santelab.course.student import connect_personas

ins_patiente = connect_personas("patient").dmp.consent().ins
from sandbox.client import connect

print("Prêt. INS de la patiente fictive :", ins_patiente)
'''


def patients_information() -> NotebookBuilder:
    nb = NotebookBuilder("d3-02")
    nb.md(f'''
    # D3 · Notebook 2 — Écrire aux patients, juger l'information en ligne

    **Compétences travaillées**
    - **D3.3** Communiquer avec les patients par leur espace numérique (messagerie de Mon
      espace santé), clairement et dans le respect du droit
    - **D3.4** Évaluer l'information de santé et la présence professionnelle en ligne (sources,
      réseaux sociaux, e-réputation)

    **Durée estimée : 2 h 15** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    Exécutez la cellule suivante. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    ''')
    nb.code(SETUP_PATIENTS)
    nb.md('''
    ## 1. La messagerie de Mon espace santé
    Chaque personne qui a activé **Mon espace santé** dispose d'une messagerie sécurisée qui
    fait partie de l'espace de confiance MSSanté. Un professionnel lui écrit depuis sa
    messagerie MSSanté, à une adresse construite sur son **matricule INS** :
    `<matricule INS>@patient.mssante.fr`. C'est le professionnel qui engage l'échange ; il
    peut autoriser ou non le patient à lui répondre. L'identité doit être **qualifiée** pour
    utiliser l'INS.
    ''')
    nb.md('''
    ## Exercice 1 — L'adresse du patient (15 min)
    Écrivez `adresse_mes(ins)` qui renvoie l'adresse de messagerie Mon espace santé d'un
    patient. Si `ins` n'est pas une chaîne de **15 caractères**, levez `ValueError` avec un
    message en français.
    ''')
    nb.answer("d3-02-adresse", '''
    def adresse_mes(ins: str) -> str:
        ### BEGIN SOLUTION
        if not isinstance(ins, str) or len(ins) != 15:
            raise ValueError("Le matricule INS doit compter 15 caractères (clé comprise).")
        return f"{ins}@patient.mssante.fr"
        ### END SOLUTION
    ''')
    nb.tests("d3-02-adresse-tests", '''
    assert adresse_mes(ins_patiente) == f"{ins_patiente}@patient.mssante.fr", (
        "L'adresse est <matricule INS>@patient.mssante.fr."
    )
    ### BEGIN HIDDEN TESTS
    for mauvais in ["1234", ins_patiente[:13], ins_patiente + "0"]:
        try:
            adresse_mes(mauvais)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{mauvais!r} devrait être refusé")
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D3.3"], minutes=15)
    nb.md('''
    ## Exercice 2 — Parler clairement (30 min)
    Un message au patient doit être compris sans dictionnaire médical. Écrivez
    `simplifier(texte, lexique)` qui remplace chaque terme du `lexique` (dictionnaire terme
    médical -> mots simples) par son explication, **sans tenir compte des majuscules** et
    seulement pour des **mots entiers** (`HTA` ne doit pas toucher `HTAP`). Indice :
    `re.sub(r"\\b" + re.escape(terme) + r"\\b", remplacement, texte, flags=re.IGNORECASE)`.
    ''')
    nb.code('''
    LEXIQUE = {
        "HTA": "hypertension artérielle (tension trop élevée)",
        "hémoglobine glyquée": "taux moyen de sucre dans le sang des trois derniers mois",
        "per os": "par la bouche",
        "asymptomatique": "sans symptôme",
    }
    brouillon = ("Votre hémoglobine glyquée est à 6,8 %. Votre HTA est équilibrée. "
                 "Poursuivre le traitement per os. Vous êtes asymptomatique.")
    ''')
    nb.answer("d3-02-simplifier", '''
    def simplifier(texte: str, lexique: dict[str, str]) -> str:
        ### BEGIN SOLUTION
        for terme, explication in lexique.items():
            motif = r"\\b" + re.escape(terme) + r"\\b"
            texte = re.sub(motif, lambda _m, e=explication: e, texte, flags=re.IGNORECASE)
        return texte
        ### END SOLUTION
    ''')
    nb.tests("d3-02-simplifier-tests", '''
    clair = simplifier(brouillon, LEXIQUE)
    assert "per os" not in clair and "par la bouche" in clair, "« per os » doit devenir « par la bouche »."
    assert "HTA " not in clair, "Remplacez HTA par son explication."
    ### BEGIN HIDDEN TESTS
    assert simplifier("Surveillance de l'HTAP.", LEXIQUE) == "Surveillance de l'HTAP."
    assert simplifier("hta connue", LEXIQUE) == "hypertension artérielle (tension trop élevée) connue"
    assert simplifier("Patient ASYMPTOMATIQUE.", LEXIQUE) == "Patient sans symptôme."
    assert simplifier("rien", {}) == "rien"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D3.3"], minutes=30)
    nb.md('''
    ## Exercice 3 — Ce que le droit permet (15 min)
    Indiquez pour chaque affirmation `True` (vraie) ou `False` (fausse).
    ''')
    nb.classify(
        "d3-02-droit", items="affirmations", answer="vraie",
        entries=[
            ("Un professionnel peut écrire à son patient par la messagerie de Mon espace santé.", True),
            ("Un résultat grave (découverte d'un cancer) peut être annoncé par un simple message, sans consultation.", False),
            ("Le professionnel peut choisir si le patient pourra lui répondre.", True),
            ("On peut envoyer des résultats par SMS au numéro donné par un voisin du patient.", False),
            ("Un échange important avec le patient est reporté dans son dossier.", True),
            ("On peut utiliser l'INS d'un patient dont l'identité est seulement provisoire.", False),
        ],
        each="Une réponse pour chaque affirmation.",
        points=2, competencies=["D3.3"], minutes=15)
    nb.md('''
    ## 2. Juger une information de santé en ligne
    Avant de conseiller une page à un patient (ou de la croire soi-même), on vérifie quelques
    **critères** : l'**auteur** est identifié avec sa qualification ; la page est **datée** et
    récente ; elle **cite ses sources** ; le **financement** est transparent (pas de vente
    déguisée) ; elle ne promet pas de **guérison miracle**. Les sites institutionnels (HAS,
    ministère, Assurance maladie, sociétés savantes) sont des repères.
    ''')
    nb.code('''
    pages = pd.DataFrame([
        ("ameli.fr — diabète de type 2", True, 2025, True, True, False),
        ("blog « Guérir le diabète en 21 jours »", False, 2019, False, False, True),
        ("forum de patients — témoignages", False, 2024, False, True, False),
        ("société savante — recommandations HTA", True, 2024, True, True, False),
        ("site d'un laboratoire de compléments alimentaires", True, 2025, False, False, True),
        ("article de presse santé, interview d'un cardiologue", True, 2016, False, True, False),
    ], columns=["page", "auteur_identifie", "annee_mise_a_jour", "sources_citees",
                "financement_transparent", "promesse_miracle"])
    ANNEE = 2026
    pages
    ''')
    nb.md('''
    ## Exercice 4 — Une grille de fiabilité (25 min)
    Écrivez `score_fiabilite(ligne)` qui renvoie un entier de 0 à 5 : un point par critère
    rempli parmi auteur identifié, mise à jour depuis **moins de 3 ans** (`ANNEE -
    annee_mise_a_jour < 3`), sources citées, financement transparent, **absence** de promesse
    miracle. Puis construisez `fiables`, la liste des `page` dont le score vaut au moins 4.
    ''')
    nb.answer("d3-02-fiabilite", '''
    def score_fiabilite(ligne) -> int:
        ### BEGIN SOLUTION
        return int(bool(ligne["auteur_identifie"])) + int(ANNEE - ligne["annee_mise_a_jour"] < 3) \\
            + int(bool(ligne["sources_citees"])) + int(bool(ligne["financement_transparent"])) \\
            + int(not ligne["promesse_miracle"])
        ### END SOLUTION


    ### BEGIN SOLUTION
    fiables = [ligne["page"] for _, ligne in pages.iterrows() if score_fiabilite(ligne) >= 4]
    ### END SOLUTION
    fiables
    ''')
    nb.tests("d3-02-fiabilite-tests", '''
    scores = [score_fiabilite(ligne) for _, ligne in pages.iterrows()]
    assert all(0 <= x <= 5 for x in scores), "Le score est entre 0 et 5."
    assert scores[0] == 5, "La page ameli.fr remplit les cinq critères."
    assert "blog « Guérir le diabète en 21 jours »" not in fiables, "Une promesse de guérison miracle : méfiance."
    ### BEGIN HIDDEN TESTS
    assert scores == [5, 0, 3, 5, 2, 3]
    assert fiables == ["ameli.fr — diabète de type 2", "société savante — recommandations HTA"]
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D3.4"], minutes=25)
    nb.md('''
    ## Exercice 5 — Réseaux sociaux et e-réputation (15 min)
    Indiquez pour chaque pratique `True` si elle est acceptable, `False` sinon.
    ''')
    nb.classify(
        "d3-02-reseaux", items="pratiques", answer="acceptable",
        entries=[
            ("publier une photo du service où l'on devine le tableau des patients hospitalisés", False),
            ("répondre à un avis négatif en ligne en détaillant les soins reçus par le patient", False),
            ("partager sur un réseau social professionnel une recommandation de la HAS", True),
            ("raconter sur un forum un « cas » de patient avec l'âge, la commune et la maladie rare", False),
            ("répondre à un avis négatif sans donnée sur le patient, en invitant à contacter le cabinet", True),
            ("se présenter en ligne avec ses titres réels, sans se dire « spécialiste » d'un domaine non reconnu", True),
        ],
        each="Une réponse pour chaque pratique.",
        hints='''
        assert acceptable[pratiques[1]] is False, "Détailler les soins d'un patient, même pour se défendre, viole le secret."
        ''',
        points=2, competencies=["D3.4"], minutes=15)
    nb.md('''
    ## Exercice 6 — Le message au patient (25 min)
    Rédigez le message que vous envoyez par la messagerie de Mon espace santé à la patiente :
    son bilan sanguin de contrôle est normal, son traitement est inchangé, prochain bilan dans
    six mois. Elle ne doit pas pouvoir vous répondre par ce canal : dites-lui comment vous
    joindre.
    ''')
    nb.free_text("d3-02-message-patient", rubric=[
        (1, "Clair et sans jargon : phrases courtes, résultat compris par la patiente, "
            "conduite à tenir explicite (traitement inchangé, prochain bilan dans six mois)."),
        (1, "Contenu juste et proportionné : seulement ce qui la concerne, pas d'autre donnée, "
            "signature du professionnel identifiable."),
        (1, "Donne un autre moyen de contact (secrétariat, téléphone, consultation) et dit "
            "quand consulter plus tôt (signes d'alerte)."),
    ], solution='''
    « Bonjour Madame, les résultats de votre prise de sang du 18 novembre sont **normaux**. Vous
    continuez votre traitement **sans changement**. Votre prochaine prise de sang est à faire
    dans **six mois**, en mai : l'ordonnance est jointe. Si vous avez une question, appelez le
    secrétariat du cabinet au 01 23 45 67 89 (du lundi au vendredi, 9 h – 17 h) ; en cas de
    fièvre, de fatigue inhabituelle ou de saignement, consultez sans attendre. Bien cordialement,
    Dr Olivier Baron, médecin généraliste. »
    ''', competencies=["D3.3"], minutes=25)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_annuaire_mssante": annuaire_mssante(),
            "02_patients_information": patients_information()}
