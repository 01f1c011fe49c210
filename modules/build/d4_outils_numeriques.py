"""D4 « Les outils numériques en santé »: the notebooks of the assignment d4_outils_numeriques."""

from __future__ import annotations

from santelab.course.authoring import INTRO_TESTS, NotebookBuilder

SETUP_SANDBOX = '''
from datetime import date, timedelta

from santelab.course.student import connect_personas

s = connect_personas("medecin")
import synthetic_data
from sandbox.client import AccessDenied, InvalidRequest, SandboxError, connect
from sandbox.settings import Settings
from synthetic_data.model import IdentityStatus, Pitfall

moi = s.me()
print(f"Connecté au bac à sable « {s.tenant} » en tant que {moi['login']} ({moi['role']}).")

# Le fichier des patients de l'établissement : les identités telles que l'accueil les a
# enregistrées (même graine que le bac à sable : mêmes personnes pour tout le monde).
reglages = Settings()
identites = list(synthetic_data.generate(n=reglages.patients, seed=reglages.seed).identities())


def premier(condition):
    return next(p for p in identites if condition(p))


def qualifiee(p):
    return p.identity.status == IdentityStatus.QUAL


def piece_identite(p):
    """Ce que l'on lit sur la pièce d'identité du patient (accents compris)."""
    i = p.identity
    return {"nom_naissance": i.display_birth_name, "prenoms": list(i.display_given_names),
            "sexe": str(i.sex), "date_naissance": i.ins_birth_date, "lieu_naissance": i.birthplace,
            "nom_usage": i.used_name}
'''


def insi_dmp() -> NotebookBuilder:
    nb = NotebookBuilder("d4-01")
    nb.md(f'''
    # D4 · Notebook 1 — Identifier avec l'INSi, alimenter et consulter le DMP

    **Compétences travaillées**
    - **D4.2** Utiliser le téléservice INSi pour récupérer et vérifier une INS
    - **D4.1** Utiliser Mon espace santé / le DMP : consulter, alimenter, types de documents,
      droits des patients (masquage, opposition), accès en urgence, traçabilité
    - **D4.4** Connaître le paysage des logiciels professionnels et des outils d'aide à la
      décision, dont l'IA, avec leurs limites

    **Durée estimée : 3 h 30** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    La cellule suivante vous connecte au bac à sable comme **médecin** (persona `medecin`) :
    sans configuration, le bac à sable tourne dans ce notebook. Si un message ⚠️ s'affiche,
    suivez ce qu'il indique.
    ''')
    nb.code(SETUP_SANDBOX)
    nb.md('''
    ## 1. Le téléservice INSi
    L'**INS** (identité nationale de santé) se compose du **matricule INS** (le NIR ou le NIA,
    15 caractères clé comprise), de l'**OID** de l'autorité qui l'a attribué et des **traits
    INS** : nom de naissance, prénoms de naissance, sexe, date de naissance, code INSEE du lieu
    de naissance. Le téléservice **INSi** offre deux opérations, un patient à la fois :
    - la **récupération** de l'INS, par la carte Vitale ou par les traits
      (`s.insi.search(...)`) ;
    - la **vérification** d'une INS déjà connue (`s.insi.verify(...)`).

    Codes de retour : **00** une identité trouvée, **01** aucune, **02** plusieurs (ajoutez les
    autres prénoms de naissance, puis le code INSEE du lieu de naissance).

    Le **nom d'usage** (par exemple le nom d'époux) n'est **pas** un trait INS : on cherche
    toujours avec le **nom de naissance**.
    ''')
    nb.code('''
    mme = premier(lambda p: qualifiee(p) and Pitfall.USED_NAME in p.pitfalls and str(p.identity.sex) == "F")
    carte = piece_identite(mme)
    print("Pièce d'identité présentée à l'accueil :")
    for champ, valeur in carte.items():
        print(f"  {champ:15} {valeur}")
    ''')
    nb.md('''
    ## Exercice 1 — Récupérer l'INS par les traits (20 min)
    La patiente se présente sous son nom d'usage. Interrogez l'INSi **par les traits** avec les
    informations de `carte`, puis rangez :
    - `reponse` : la réponse de `s.insi.search(...)` ;
    - `ins_recuperee` : le matricule INS renvoyé (une chaîne de 15 caractères).

    Exemple d'appel : `s.insi.search(nom="…", prenoms=[…], sexe="F", date_naissance="1980-01-31",
    lieu_naissance="75056")`.
    ''')
    nb.answer("d4-01-recuperation", '''
    ### BEGIN SOLUTION
    reponse = s.insi.search(nom=carte["nom_naissance"], prenoms=carte["prenoms"], sexe=carte["sexe"],
                            date_naissance=carte["date_naissance"])
    ins_recuperee = reponse.identite.matricule
    ### END SOLUTION
    ''')
    nb.tests("d4-01-recuperation-tests", '''
    assert reponse.code_retour != "01", (
        "Code 01 : aucune identité. Avez-vous cherché avec le nom d'usage ? Utilisez le nom de naissance."
    )
    assert reponse.code_retour == "00", f"Attendu : code 00 (une identité), obtenu {reponse.code_retour}."
    assert isinstance(ins_recuperee, str) and len(ins_recuperee) == 15, "Le matricule INS a 15 caractères."
    ### BEGIN HIDDEN TESTS
    assert ins_recuperee == mme.identity.ins
    assert reponse.identite.oid == "1.2.250.1.213.1.4.10"
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.2"], minutes=20)
    nb.md('''
    ## Exercice 2 — La recherche progressive, contre les homonymes (30 min)
    Deux personnes peuvent partager le nom de naissance, le premier prénom, le sexe et la date
    de naissance : l'INSi répond alors **02** (plusieurs identités). La conduite à tenir est
    progressive : on interroge d'abord avec le **premier prénom** seul ; si la réponse est 02,
    on réinterroge avec **tous les prénoms de naissance** ; si c'est encore 02, on ajoute le
    **code INSEE du lieu de naissance**. On s'arrête dès que la réponse n'est plus 02.

    Écrivez `recherche_progressive(piece, interroger)`, où `piece` est un dictionnaire comme
    `carte` et `interroger` une fonction qui s'appelle comme `s.insi.search` (arguments nommés
    `nom`, `prenoms`, `sexe`, `date_naissance` et, seulement à la troisième étape,
    `lieu_naissance`). Elle renvoie la **dernière** réponse obtenue. Essayez-la sur `carte`
    avec `s.insi.search`, et rangez la réponse dans `reponse_progressive`.

    Le fichier de l'établissement (`identites`) compte aussi de vrais homonymes, marqués
    `Pitfall.HOMONYM` : votre fonction doit retrouver chacun d'eux dans l'INSi du bac à sable.
    ''')
    nb.answer("d4-01-progressive", '''
    def recherche_progressive(piece: dict, interroger):
        ### BEGIN SOLUTION
        traits = {"nom": piece["nom_naissance"], "sexe": piece["sexe"],
                  "date_naissance": piece["date_naissance"]}
        reponse = interroger(prenoms=piece["prenoms"][:1], **traits)
        if reponse.code_retour != "02":
            return reponse
        reponse = interroger(prenoms=piece["prenoms"], **traits)
        if reponse.code_retour != "02":
            return reponse
        return interroger(prenoms=piece["prenoms"], lieu_naissance=piece["lieu_naissance"], **traits)
        ### END SOLUTION


    ### BEGIN SOLUTION
    reponse_progressive = recherche_progressive(carte, s.insi.search)
    ### END SOLUTION
    reponse_progressive
    ''')
    nb.tests("d4-01-progressive-tests", '''
    from types import SimpleNamespace


    def faux_insi(base):
        """Un INSi d'entraînement, sur une petite base où l'on a placé des homonymes."""
        appels = []

        def interroger(nom, prenoms, sexe, date_naissance, lieu_naissance=None):
            prenoms = prenoms.split() if isinstance(prenoms, str) else list(prenoms)
            appels.append((prenoms, lieu_naissance))
            trouves = [b for b in base if (b["nom"], b["sexe"], b["date"]) == (nom, sexe, date_naissance)
                       and b["prenoms"][:len(prenoms)] == list(prenoms)
                       and (lieu_naissance is None or b["lieu"] == lieu_naissance)]
            code = "00" if len(trouves) == 1 else "01" if not trouves else "02"
            identite = SimpleNamespace(matricule=trouves[0]["ins"]) if code == "00" else None
            return SimpleNamespace(code_retour=code, identite=identite)

        return interroger, appels


    base = [
        {"nom": "MARTIN", "prenoms": ["Marie", "Anne"], "sexe": "F", "date": "1990-05-04", "lieu": "75056", "ins": "A"},
        {"nom": "MARTIN", "prenoms": ["Marie", "Claire"], "sexe": "F", "date": "1990-05-04", "lieu": "75056", "ins": "B"},
        {"nom": "PETIT", "prenoms": ["Paul"], "sexe": "M", "date": "1970-01-02", "lieu": "69123", "ins": "C"},
        {"nom": "PETIT", "prenoms": ["Paul"], "sexe": "M", "date": "1970-01-02", "lieu": "13055", "ins": "D"},
    ]


    def piece_de(b):
        return {"nom_naissance": b["nom"], "prenoms": b["prenoms"], "sexe": b["sexe"],
                "date_naissance": b["date"], "lieu_naissance": b["lieu"]}


    assert reponse_progressive.code_retour == "00", "La patiente de la carte n'a pas d'homonyme : code 00."
    interroger, appels = faux_insi(base)
    r = recherche_progressive(piece_de(base[1]), interroger)
    assert r.code_retour == "00" and r.identite.matricule == "B", (
        "Marie Claire MARTIN : 02 avec le premier prénom, puis 00 avec tous les prénoms."
    )
    assert appels == [(["Marie"], None), (["Marie", "Claire"], None)], (
        f"Appels attendus : premier prénom seul, puis tous les prénoms ; vos appels : {appels}"
    )
    ### BEGIN HIDDEN TESTS
    assert reponse_progressive.identite.matricule == mme.identity.ins
    interroger, appels = faux_insi(base)
    r = recherche_progressive(piece_de(base[3]), interroger)
    assert r.code_retour == "00" and r.identite.matricule == "D"
    assert appels == [(["Paul"], None), (["Paul"], None), (["Paul"], "13055")]
    interroger, appels = faux_insi(base)
    inconnue = {**piece_de(base[0]), "nom_naissance": "DURAND"}
    assert recherche_progressive(inconnue, interroger).code_retour == "01" and len(appels) == 1
    interroger, appels = faux_insi(base)
    assert recherche_progressive(piece_de(base[0]), interroger).identite.matricule == "A"
    assert len(appels) == 2
    for h in [p for p in identites if Pitfall.HOMONYM in p.pitfalls]:  # the live INSi answers 02
        r = recherche_progressive(piece_identite(h), s.insi.search)
        assert r.code_retour == "00" and r.identite.matricule == h.identity.ins
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D4.2"], minutes=30)
    nb.md('''
    ## Exercice 3 — Vérifier les INS du fichier (35 min)
    Avant de transmettre des documents, l'établissement **vérifie** les INS déjà enregistrées.
    Voici quatre dossiers de son fichier, chacun avec le matricule INS et les traits saisis.
    Écrivez `verifier(dossier)` qui appelle `s.insi.verify(...)` et renvoie :
    - `"conforme"` si l'INS et les traits concordent ;
    - `"discordant"` si l'INSi répond que l'INS est inconnue ou que des traits diffèrent ;
    - `"invalide"` si le bac à sable refuse la demande (exception `InvalidRequest`, par exemple
      une clé de contrôle fausse).

    Puis calculez `resultats`, le dictionnaire `numero du dossier -> résultat`.
    ''')
    nb.code('''
    def dossier(numero, p, **changements):
        d = {"numero": numero, "matricule": p.identity.ins, **piece_identite(p)}
        d.update(changements)
        return d


    avec_prenoms = [p for p in identites if qualifiee(p) and Pitfall.MULTIPLE_GIVEN_NAMES in p.pitfalls]
    avec_usage = [p for p in identites if qualifiee(p) and Pitfall.USED_NAME in p.pitfalls]
    a, b, c, d = avec_prenoms[0], avec_usage[1], avec_prenoms[1], avec_usage[2]
    cle_fausse = f"{(int(c.identity.ins[-2:]) + 1) % 97 + 1:02d}"
    dossiers = [
        dossier("D-101", a),
        dossier("D-102", b, date_naissance=(b.identity.birth_date + timedelta(days=1)).isoformat()),
        dossier("D-103", c, matricule=c.identity.ins[:13] + cle_fausse),
        dossier("D-104", d, nom_naissance=d.identity.used_name),
    ]
    for x in dossiers:
        print(x["numero"], x["matricule"], x["nom_naissance"], " ".join(x["prenoms"]), x["sexe"],
              x["date_naissance"], x["lieu_naissance"])
    ''')
    nb.answer("d4-01-verification", '''
    def verifier(dossier: dict) -> str:
        ### BEGIN SOLUTION
        try:
            r = s.insi.verify(dossier["matricule"], nom=dossier["nom_naissance"],
                              prenoms=dossier["prenoms"], sexe=dossier["sexe"],
                              date_naissance=dossier["date_naissance"],
                              lieu_naissance=dossier["lieu_naissance"])
        except InvalidRequest:
            return "invalide"
        return "conforme" if r.conforme else "discordant"
        ### END SOLUTION


    ### BEGIN SOLUTION
    resultats = {x["numero"]: verifier(x) for x in dossiers}
    ### END SOLUTION
    resultats
    ''')
    nb.tests("d4-01-verification-tests", '''
    assert set(resultats) == {"D-101", "D-102", "D-103", "D-104"}, "Un résultat par dossier."
    assert set(resultats.values()) <= {"conforme", "discordant", "invalide"}, (
        "Les résultats possibles : conforme, discordant, invalide."
    )
    assert resultats["D-101"] == "conforme", "Le dossier D-101 est correct : INS et traits concordent."
    ### BEGIN HIDDEN TESTS
    assert resultats == {"D-101": "conforme", "D-102": "discordant", "D-103": "invalide",
                         "D-104": "discordant"}
    assert verifier(dossier("X", avec_usage[3])) == "conforme"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D4.2"], minutes=35)
    nb.md('''
    ## Exercice 4 — Statuts de l'identité et conduite à tenir (20 min)
    Le référentiel national d'identitovigilance (RNIV) donne à chaque identité un **statut** :
    - **PROV** (provisoire) : identité ni récupérée par l'INSi, ni contrôlée sur une pièce
      d'identité ;
    - **RECUP** (récupérée) : INS récupérée par l'INSi, pièce d'identité non contrôlée ;
    - **VALI** (validée) : pièce d'identité contrôlée, INS pas (encore) récupérée ;
    - **QUAL** (qualifiée) : les deux. Seule une identité **qualifiée** permet d'utiliser et de
      partager l'INS (DMP, messagerie sécurisée…).

    1. Écrivez `statut(insi_ok, piece_controlee)` qui renvoie le code du statut.
    2. Complétez `suite`, qui dit ce qu'il faut faire après chaque réponse de l'INSi, avec une
       lettre :
       **A** ajouter les autres prénoms de naissance ; **B** ajouter le code INSEE du lieu de
       naissance ; **C** relire les traits sur la pièce d'identité et corriger la saisie ;
       **D** enregistrer l'INS et ses traits.
    ''')
    nb.code('''
    situations_insi = [
        "code 00 après une recherche par les traits",
        "code 01 après une recherche par les traits",
        "code 02 avec le seul premier prénom",
        "code 02 avec tous les prénoms de naissance",
    ]
    ''')
    nb.answer("d4-01-statuts", '''
    def statut(insi_ok: bool, piece_controlee: bool) -> str:
        ### BEGIN SOLUTION
        if insi_ok and piece_controlee:
            return "QUAL"
        if insi_ok:
            return "RECUP"
        if piece_controlee:
            return "VALI"
        return "PROV"
        ### END SOLUTION


    suite = {
        ### BEGIN SOLUTION
        situations_insi[0]: "D",
        situations_insi[1]: "C",
        situations_insi[2]: "A",
        situations_insi[3]: "B",
        ### END SOLUTION
    }
    ''')
    nb.tests("d4-01-statuts-tests", '''
    assert statut(True, True) == "QUAL", "INSi et pièce d'identité : l'identité est qualifiée."
    assert set(suite) == set(situations_insi), "Une lettre pour chaque situation."
    assert set(suite.values()) <= set("ABCD"), "Les lettres possibles : A, B, C, D."
    ### BEGIN HIDDEN TESTS
    assert statut(True, False) == "RECUP"
    assert statut(False, True) == "VALI"
    assert statut(False, False) == "PROV"
    assert [suite[x] for x in situations_insi] == ["D", "C", "A", "B"]
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.2"], minutes=20)
    nb.md('''
    ## 2. Le DMP (Mon espace santé)
    Le **DMP** réunit les documents de santé d'un patient. Chaque document a une **classe**
    (jeu de valeurs J57 : `10` compte rendu, `11` synthèse, `42` prescription, `43`
    dispensation…) et un **type** codé en **LOINC** (`11488-4` compte rendu de consultation,
    `11490-0` lettre de liaison de sortie, `34112-3` compte rendu hospitalier, `11502-2`
    compte rendu de biologie, `57833-6` ordonnance de produits de santé…).

    Règles : le patient est **informé** de l'alimentation de son DMP ; les professionnels de son
    **équipe de soins** le consultent (sauf opposition) ; les autres ont besoin de son
    **consentement**. En urgence vitale, l'accès « **bris de glace** » est possible, mais il doit
    être **motivé**, il est tracé et le patient en est alerté. Le patient voit **tous** les
    accès à son DMP.

    Vous êtes le médecin traitant de la patiente de la persona `patient`.
    ''')
    nb.code('''
    espace_patient = connect(persona="patient")
    ins_patiente = espace_patient.dmp.consent().ins
    print("INS de la patiente :", ins_patiente)
    for document in s.dmp.search(ins_patiente)[:5]:
        print(document)
    ''')
    nb.md('''
    ## Exercice 5 — Déposer la lettre de liaison de sortie (20 min)
    La patiente sort d'hospitalisation. Déposez dans son DMP sa **lettre de liaison de sortie**
    avec `s.dmp.add(ins_patiente, type=..., class_code=..., title=..., text=...)` : le bon code
    LOINC, la classe « compte rendu », un titre et un court texte. Rangez le document renvoyé
    dans `lettre`.
    ''')
    nb.answer("d4-01-depot", '''
    ### BEGIN SOLUTION
    lettre = s.dmp.add(ins_patiente, type="11490-0", class_code="10",
                       title="Lettre de liaison de sortie",
                       text="Hospitalisation du 14 au 20 novembre 2026 pour pneumopathie. "
                            "Traitement de sortie : amoxicilline 1 g x 3/j pendant 5 jours.")
    ### END SOLUTION
    ''')
    nb.tests("d4-01-depot-tests", '''
    assert lettre.patient_ins == ins_patiente, "Le document doit être déposé dans le DMP de la patiente."
    assert lettre.type_code == "11490-0", "Le code LOINC de la lettre de liaison de sortie est 11490-0."
    assert lettre.title.strip(), "Donnez un titre au document."
    ### BEGIN HIDDEN TESTS
    assert lettre.class_code == "10"
    trouves = [d.id for d in s.dmp.search(ins_patiente, type="11490-0")]
    assert lettre.id in trouves
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.1"], minutes=20)
    nb.md('''
    ## Exercice 6 — Consulter hors de l'équipe de soins, puis en urgence (25 min)
    Un médecin d'un autre établissement (persona `medecin2`) reçoit la patiente, inconsciente,
    aux urgences.
    1. Connectez-vous comme `medecin2` dans `s2`, puis tentez une recherche normale dans le DMP
       de la patiente : elle est refusée (exception `AccessDenied`). Rangez le message du refus
       (`str(erreur)`) dans `refus`.
    2. Faites ensuite une recherche « bris de glace » **motivée** avec
       `s2.dmp.break_glass(ins_patiente, reason="...")` et rangez la liste des documents
       obtenus dans `documents_urgence`.
    ''')
    nb.answer("d4-01-bris-de-glace", '''
    ### BEGIN SOLUTION
    s2 = connect(persona="medecin2")
    try:
        s2.dmp.search(ins_patiente)
        refus = ""
    except AccessDenied as erreur:
        refus = str(erreur)
    documents_urgence = s2.dmp.break_glass(
        ins_patiente, reason="Patiente inconsciente aux urgences, recherche d'antécédents")
    ### END SOLUTION
    ''')
    nb.tests("d4-01-bris-de-glace-tests", '''
    assert s2.persona == "medecin2", "Connectez-vous comme medecin2 : `s2 = connect(persona=\\"medecin2\\")`."
    assert isinstance(refus, str) and "équipe de soins" in refus, (
        "`refus` doit contenir le message du refus d'accès (hors de l'équipe de soins)."
    )
    assert documents_urgence, "La recherche en urgence doit renvoyer les documents du DMP."
    ### BEGIN HIDDEN TESTS
    assert lettre.id in {d.id for d in documents_urgence}
    alertes = espace_patient.dmp.alerts()
    assert any(a.professionnel == "medecin2" and len(a.motif.strip()) >= 5 for a in alertes)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D4.1"], minutes=25)
    nb.md('''
    ## Exercice 7 — Ce que voit la patiente (20 min)
    Depuis son espace (`espace_patient`), la patiente consulte l'historique des accès à son DMP
    (`espace_patient.dmp.audit()`, une liste d'entrées avec `who`, `action`, `outcome`,
    `description`, `emergency_reason`). Calculez :
    - `professionnels_ayant_acces` : l'ensemble des `who` des accès **réussis** faits par des
      professionnels (pas par la patiente elle-même : son `role` vaut `"patient"`) ;
    - `nb_refus` : le nombre d'accès **refusés** ;
    - `motifs_urgence` : la liste des motifs d'urgence (`emergency_reason`) non vides.
    ''')
    nb.answer("d4-01-audit", '''
    ### BEGIN SOLUTION
    historique = espace_patient.dmp.audit()
    professionnels_ayant_acces = {e.who for e in historique
                                  if e.outcome == "succès" and e.role != "patient"}
    nb_refus = sum(1 for e in historique if e.outcome == "refus")
    motifs_urgence = [e.emergency_reason for e in historique if e.emergency_reason]
    ### END SOLUTION
    ''')
    nb.tests("d4-01-audit-tests", '''
    assert {"medecin", "medecin2"} <= professionnels_ayant_acces, (
        "Le médecin traitant et le médecin des urgences ont tous deux accédé au DMP."
    )
    assert nb_refus >= 1, "La recherche normale de medecin2 a été refusée : elle est tracée."
    assert motifs_urgence, "Le motif du bris de glace apparaît dans l'historique."
    ### BEGIN HIDDEN TESTS
    h = espace_patient.dmp.audit()
    assert professionnels_ayant_acces == {e.who for e in h if e.outcome == "succès" and e.role != "patient"}
    assert nb_refus == sum(1 for e in h if e.outcome == "refus")
    assert sorted(motifs_urgence) == sorted(e.emergency_reason for e in h if e.emergency_reason)
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.1"], minutes=20)
    nb.md('''
    ## 3. Les logiciels du professionnel et l'IA
    Le professionnel travaille avec un **logiciel métier** (dossier patient informatisé à
    l'hôpital, logiciel de cabinet en ville, logiciel d'officine), des **outils de coordination**
    (messagerie sécurisée, e-parcours), des **services socles** (DMP, MSSanté, e-prescription,
    INSi) et s'y connecte par **Pro Santé Connect** (avec sa carte CPS ou son e-CPS). Des
    **outils d'aide à la décision**, dont certains utilisent l'IA, s'y ajoutent.
    ''')
    nb.md('''
    ## Exercice 8 — Un outil d'IA dans le service (25 min)
    Un éditeur propose à votre service un assistant d'IA qui rédige automatiquement les
    lettres de liaison de sortie à partir du dossier. Quelles questions posez-vous avant de
    l'utiliser, et quelles limites gardez-vous en tête ?
    ''')
    nb.free_text("d4-01-ia", rubric=[
        (1, "Responsabilité : le professionnel relit, corrige et signe ; l'outil aide, il ne "
            "décide pas (erreurs, « hallucinations », omissions possibles)."),
        (1, "Données : où sont traitées les données de santé (hébergement certifié HDS, RGPD, "
            "pas d'envoi vers un service grand public), information des patients."),
        (1, "Qualité et cadre : marquage CE s'il s'agit d'un dispositif médical, évaluation, "
            "biais des données d'entraînement, intégration au logiciel métier et traçabilité."),
    ], solution='''
    L'assistant produit un brouillon : le médecin reste **responsable** de la lettre, la relit,
    corrige et signe ; un modèle de langage peut inventer un traitement, omettre une allergie ou
    recopier une erreur du dossier. Avant de l'utiliser : où les données sont-elles traitées
    (hébergeur certifié HDS, en France ou en Europe, aucune réutilisation pour entraîner le
    modèle), l'établissement a-t-il fait l'analyse RGPD et informé les patients ? L'outil est-il
    un dispositif médical marqué CE, a-t-il été évalué sur des patients comparables (biais),
    s'intègre-t-il au dossier patient informatisé avec une trace de ce qui a été généré puis
    modifié ? Enfin, l'équipe doit savoir travailler sans lui (mode dégradé).
    ''', competencies=["D4.4"], minutes=25)
    return nb


SETUP_ERX = '''
from santelab.course.student import connect_personas

s, pharmacie, patiente = connect_personas("medecin", "pharmacien", "patient")
from sandbox.client import AccessDenied, Conflict, Gone, SandboxError, connect

ins_patiente = patiente.dmp.consent().ins
print(f"Connecté au bac à sable « {s.tenant} » : médecin, pharmacien et patiente prêts.")
print("INS de la patiente :", ins_patiente)
'''


def eprescription() -> NotebookBuilder:
    nb = NotebookBuilder("d4-02")
    nb.md(f'''
    # D4 · Notebook 2 — L'e-prescription, du médecin au pharmacien

    **Compétences travaillées**
    - **D4.3** Prescrire et dispenser avec l'e-prescription ; partager avec le pharmacien
    - **D4.4** Connaître le paysage des logiciels professionnels (dossiers patients, outils de
      coordination, Pro Santé Connect) et des outils d'aide à la décision, dont l'IA, avec
      leurs limites

    **Durée estimée : 2 h** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    La cellule suivante ouvre trois sessions sur le bac à sable : le médecin traitant (`s`), un
    pharmacien d'officine (`pharmacie`) et la patiente (`patiente`). Si un message ⚠️
    s'affiche, suivez ce qu'il indique.
    ''')
    nb.code(SETUP_ERX)
    nb.md('''
    ## L'e-prescription en bref
    Le médecin rédige l'ordonnance dans son logiciel ; elle est enregistrée dans une base
    nationale avec un **numéro unique**, imprimé sous forme de **QR code** sur l'ordonnance
    remise au patient. Le pharmacien **scanne** le QR code, récupère les **lignes structurées**
    (médicament, code ATC, posologie, quantité) et enregistre la **dispensation ligne par
    ligne**. Une ligne entièrement délivrée ne peut pas l'être une seconde fois ; une
    ordonnance entièrement délivrée désactive son QR code.
    ''')
    nb.md('''
    ## Exercice 1 — Prescrire (20 min)
    Prescrivez à la patiente, avec `s.eprescription.create(patient=ins_patiente, lines=[...])`,
    les deux lignes suivantes, dans cet ordre, et rangez l'ordonnance renvoyée dans `ordonnance` :
    1. `AMOXICILLINE 1 g cp` (ATC `J01CA04`), « 1 comprimé matin, midi et soir pendant 6 jours »,
       quantité 2 boîtes, durée 6 jours ;
    2. `PARACETAMOL 1 g cp` (ATC `N02BE01`), « 1 comprimé si douleur, 3 par jour au maximum »,
       quantité 2 boîtes, durée 6 jours.

    Chaque ligne est un dictionnaire avec les clés `drug`, `atc`, `dosage`, `quantity`,
    `duration_days`.
    ''')
    nb.answer("d4-02-prescrire", '''
    ### BEGIN SOLUTION
    ordonnance = s.eprescription.create(patient=ins_patiente, lines=[
        {"drug": "AMOXICILLINE 1 g cp", "atc": "J01CA04",
         "dosage": "1 comprimé matin, midi et soir pendant 6 jours", "quantity": 2,
         "duration_days": 6},
        {"drug": "PARACETAMOL 1 g cp", "atc": "N02BE01",
         "dosage": "1 comprimé si douleur, 3 par jour au maximum", "quantity": 2,
         "duration_days": 6},
    ])
    ### END SOLUTION
    print(ordonnance)
    ''')
    nb.tests("d4-02-prescrire-tests", '''
    assert ordonnance.ins == ins_patiente, "L'ordonnance doit être au nom de la patiente (son INS)."
    assert len(ordonnance.lines) == 2, "L'ordonnance a deux lignes."
    assert ordonnance.status == "active", "Une ordonnance qui vient d'être créée est à délivrer (active)."
    ### BEGIN HIDDEN TESTS
    assert [ligne.atc for ligne in ordonnance.lines] == ["J01CA04", "N02BE01"]
    assert [ligne.quantity for ligne in ordonnance.lines] == [2, 2]
    assert all(ligne.duration_days == 6 for ligne in ordonnance.lines)
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.3"], minutes=20)
    nb.md('''
    ## Exercice 2 — Scanner et délivrer (25 min)
    La patiente présente son ordonnance à l'officine. L'officine n'a plus qu'**une** boîte de
    paracétamol.
    1. Comme pharmacien, scannez le QR code : `pharmacie.eprescription.scan(ordonnance.qr)`,
       rangé dans `scannee`.
    2. Délivrez les **2** boîtes d'amoxicilline (ligne 1) et **1** boîte de paracétamol
       (ligne 2) avec `pharmacie.eprescription.dispense(numero, line=..., quantity=...)`.
       Rangez la dernière réponse dans `apres_delivrance`.
    ''')
    nb.answer("d4-02-delivrer", '''
    ### BEGIN SOLUTION
    scannee = pharmacie.eprescription.scan(ordonnance.qr)
    pharmacie.eprescription.dispense(scannee.number, line=1, quantity=2)
    apres_delivrance = pharmacie.eprescription.dispense(scannee.number, line=2, quantity=1)
    ### END SOLUTION
    print(apres_delivrance)
    ''')
    nb.tests("d4-02-delivrer-tests", '''
    assert scannee.number == ordonnance.number, "Scannez le QR code de l'ordonnance de l'exercice 1."
    assert apres_delivrance.status == "partially-dispensed", (
        "Il reste une boîte de paracétamol à délivrer : l'ordonnance est partiellement délivrée."
    )
    ### BEGIN HIDDEN TESTS
    assert [ligne.dispensed for ligne in apres_delivrance.lines] == [2, 1]
    assert [ligne.remaining for ligne in apres_delivrance.lines] == [0, 1]
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D4.3"], minutes=25)
    nb.md('''
    ## Exercice 3 — La double délivrance est refusée (15 min)
    Par erreur, un collègue de l'officine tente de délivrer à nouveau une boîte d'amoxicilline
    (ligne 1). Faites cette tentative en attrapant l'exception `Conflict`, et rangez :
    - `double_refusee` : `True` si la tentative a été refusée ;
    - `message_refus` : le message du refus (`str(erreur)`).
    ''')
    nb.answer("d4-02-double", '''
    ### BEGIN SOLUTION
    try:
        pharmacie.eprescription.dispense(ordonnance.number, line=1, quantity=1)
        double_refusee, message_refus = False, ""
    except Conflict as erreur:
        double_refusee, message_refus = True, str(erreur)
    ### END SOLUTION
    print(message_refus)
    ''')
    nb.tests("d4-02-double-tests", '''
    assert double_refusee is True, "La ligne 1 est entièrement délivrée : une nouvelle délivrance doit être refusée."
    assert "double délivrance" in message_refus.lower(), "Rangez le message renvoyé par le service."
    ### BEGIN HIDDEN TESTS
    etat = pharmacie.eprescription.get(ordonnance.number)
    assert etat.lines[0].dispensed == 2
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.3"], minutes=15)
    nb.md('''
    ## Exercice 4 — Compléter la délivrance (25 min)
    Deux jours plus tard, le paracétamol est arrivé.
    1. Écrivez `reste_a_delivrer(prescription)` qui renvoie le dictionnaire
       `numéro de ligne -> quantité restante`, pour les seules lignes où il reste quelque chose.
    2. Relisez l'ordonnance comme pharmacien (`pharmacie.eprescription.get(numero)`), délivrez
       tout ce qui reste, et rangez la dernière réponse dans `finale`.
    ''')
    nb.answer("d4-02-completer", '''
    def reste_a_delivrer(prescription) -> dict[int, int]:
        ### BEGIN SOLUTION
        return {ligne.line: ligne.remaining for ligne in prescription.lines if ligne.remaining > 0}
        ### END SOLUTION


    ### BEGIN SOLUTION
    courante = pharmacie.eprescription.get(ordonnance.number)
    finale = courante
    for numero_ligne, quantite in reste_a_delivrer(courante).items():
        finale = pharmacie.eprescription.dispense(ordonnance.number, line=numero_ligne,
                                                  quantity=quantite)
    ### END SOLUTION
    print(finale)
    ''')
    nb.tests("d4-02-completer-tests", '''
    assert reste_a_delivrer(apres_delivrance) == {2: 1}, "Après l'exercice 2, il restait 1 boîte sur la ligne 2."
    assert finale.status == "completed", "Tout est délivré : l'ordonnance est complètement délivrée."
    ### BEGIN HIDDEN TESTS
    assert reste_a_delivrer(finale) == {}
    assert reste_a_delivrer(ordonnance) == {1: 2, 2: 2}
    try:
        pharmacie.eprescription.scan(ordonnance.qr)
        rescan = "accepté"
    except Gone:
        rescan = "désactivé"
    assert rescan == "désactivé"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D4.3"], minutes=25)
    nb.md('''
    ## Exercice 5 — Qui peut faire quoi ? (15 min)
    Essayez, si vous le voulez, avec d'autres personas (`connect(persona="infirmier")`…).
    Puis indiquez pour chaque affirmation `True` (permis) ou `False` (refusé).
    ''')
    nb.classify(
        "d4-02-droits", items="affirmations", answer="permis",
        entries=[
            ("le pharmacien scanne le QR code et enregistre la dispensation", True),
            ("le médecin prescripteur enregistre lui-même une dispensation", False),
            ("la patiente consulte ses e-prescriptions", True),
            ("un infirmier lit l'e-prescription de la patiente dans ce bac à sable", False),
            ("un pharmacien scanne de nouveau le QR code d'une ordonnance entièrement délivrée", False),
            ("le médecin prescripteur annule une ordonnance qu'il a rédigée", True),
        ],
        each="Une réponse pour chaque affirmation.",
        hints='''
        assert permis[affirmations[0]] is True, "C'est le cœur du rôle du pharmacien."
        ''',
        points=2, competencies=["D4.3"], minutes=15)
    nb.md('''
    ## Exercice 6 — Le paysage des outils (15 min)
    Associez chaque outil à sa description en complétant `description` avec une lettre :

    - **A.** Fédération d'identité : le professionnel se connecte aux services numériques de
      santé avec sa carte CPS ou son e-CPS.
    - **B.** Logiciel de l'hôpital qui regroupe le dossier médical et de soins des patients.
    - **C.** Logiciel de la pharmacie d'officine (dispensation, stocks, facturation).
    - **D.** Téléservice de l'Assurance maladie qui renvoie l'identité nationale de santé.
    - **E.** Messagerie sécurisée entre professionnels, adossée à l'Annuaire Santé.
    - **F.** Outil qui suggère un diagnostic ou une alerte à partir des données du patient ;
      le professionnel garde la décision.
    ''')
    nb.code('''
    outils = ["Pro Santé Connect", "DPI (dossier patient informatisé)", "LGO (logiciel de gestion d'officine)",
              "INSi", "MSSanté", "aide à la décision clinique"]
    ''')
    nb.answer("d4-02-outils", '''
    description = {
        ### BEGIN SOLUTION
        "Pro Santé Connect": "A",
        "DPI (dossier patient informatisé)": "B",
        "LGO (logiciel de gestion d'officine)": "C",
        "INSi": "D",
        "MSSanté": "E",
        "aide à la décision clinique": "F",
        ### END SOLUTION
    }
    ''')
    nb.tests("d4-02-outils-tests", '''
    assert set(description) == set(outils), "Une lettre pour chaque outil de la liste."
    assert set(description.values()) <= set("ABCDEF"), "Les lettres possibles : A à F."
    ### BEGIN HIDDEN TESTS
    assert [description[o] for o in outils] == list("ABCDEF")
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D4.4"], minutes=15)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_insi_dmp": insi_dmp(), "02_eprescription": eprescription()}
