"""D1 « Les données de santé »: the notebooks of the assignment d1_donnees_sante."""

from __future__ import annotations

from santelab.course.authoring import NotebookBuilder

SETUP_POPULATION = '''
import hashlib
import hmac

import pandas as pd

from santelab.course.student import load_population

# Même graine pour tout le monde : chacun travaille sur les mêmes patients fictifs.
population = load_population(n=200, seed=2026)
print(f"Population synthétique chargée : {len(population.patients)} patients fictifs.")
'''


def identifiants() -> NotebookBuilder:
    nb = NotebookBuilder("d1-01")
    nb.md('''
    # D1 · Notebook 1 — Identifiants, pseudonymisation et risque de réidentification

    **Compétences travaillées**
    - **D1.1** Distinguer les données de santé des autres données personnelles ; identifiants
      directs et indirects ; données sensibles
    - **D1.5** Réutiliser les données de manière responsable : pseudonymisation et
      anonymisation, risque de réidentification, entrepôts de données, Health Data Hub

    **Durée estimée : 2 h 15** (lecture comprise). Toutes les données sont **fictives** :
    elles viennent de la population synthétique du bac à sable santelab.

    Chaque exercice se termine par une cellule de tests : les tests visibles vous disent si
    vous êtes sur la bonne voie ; d'autres tests, cachés, servent à la note finale.
    ''')
    nb.md('''
    ## Mise en route
    Exécutez la cellule suivante. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    ''')
    nb.code(SETUP_POPULATION)
    nb.md('''
    Un service d'établissement vous transmet l'**extrait** ci-dessous pour une étude : une ligne
    par patient, avec son identifiant local (IPP), son identité, son adresse et son premier
    diagnostic codé en CIM-10.
    ''')
    nb.code('''
    def premier_diagnostic(patient):
        """Premier diagnostic CIM-10 du patient : (code, libellé), ou (None, None)."""
        for condition in patient.conditions:
            for coding in condition.codes:
                if coding.system == "cim10":
                    return coding.code, coding.display
        return None, None


    lignes = []
    for p in population.patients:
        code, libelle = premier_diagnostic(p)
        lignes.append({
            "ipp": p.id,
            "ins": p.identity.ins,
            "nom_naissance": p.identity.birth_name,
            "prenom": p.identity.first_given_name,
            "sexe": str(p.identity.sex),
            "date_naissance": p.identity.birth_date.isoformat(),
            "lieu_naissance": p.identity.birthplace,
            "code_postal": p.address.postal_code,
            "telephone": p.phone,
            "diagnostic_cim10": code,
            "libelle_diagnostic": libelle,
        })
    extrait = pd.DataFrame(lignes)
    extrait.head()
    ''')
    nb.md('''
    ## Exercice 1 — Identifiants directs, indirects et données de santé (15 min)
    - Un **identifiant direct** désigne à lui seul une personne (nom, numéro, téléphone…).
    - Un **identifiant indirect** (ou quasi-identifiant) ne la désigne pas seul mais permet de
      la retrouver une fois croisé avec d'autres (sexe, date de naissance, commune…).
    - Une **donnée de santé** (RGPD, art. 4 §15) renseigne sur la santé physique ou mentale,
      passée, présente ou future, d'une personne.

    Rangez **chaque colonne** de `extrait` dans exactement un des trois ensembles
    `identifiants_directs`, `identifiants_indirects`, `donnees_sante`.
    ''')
    nb.answer("d1-01-colonnes", '''
    ### BEGIN SOLUTION
    identifiants_directs = {"ipp", "ins", "nom_naissance", "prenom", "telephone"}
    identifiants_indirects = {"sexe", "date_naissance", "lieu_naissance", "code_postal"}
    donnees_sante = {"diagnostic_cim10", "libelle_diagnostic"}
    ### END SOLUTION
    ''')
    nb.tests("d1-01-colonnes-tests", '''
    ensembles = [identifiants_directs, identifiants_indirects, donnees_sante]
    assert all(isinstance(e, set) for e in ensembles), "Utilisez trois ensembles Python : {...}."
    assert set().union(*ensembles) == set(extrait.columns), (
        "Chaque colonne de l'extrait doit être rangée, et seulement les colonnes de l'extrait."
    )
    assert sum(len(e) for e in ensembles) == len(extrait.columns), (
        "Une colonne est rangée dans deux ensembles à la fois."
    )
    assert "ins" in identifiants_directs, "L'INS désigne à lui seul une personne."
    ### BEGIN HIDDEN TESTS
    assert identifiants_directs == {"ipp", "ins", "nom_naissance", "prenom", "telephone"}
    assert identifiants_indirects == {"sexe", "date_naissance", "lieu_naissance", "code_postal"}
    assert donnees_sante == {"diagnostic_cim10", "libelle_diagnostic"}
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.1"], minutes=15)
    nb.md('''
    ## Exercice 2 — Qu'est-ce qu'une donnée de santé ? (15 min)
    Pour chaque information ci-dessous, indiquez `True` si c'est une donnée de santé au sens du
    RGPD, `False` sinon. Pensez aux données qui **révèlent** un état de santé sans le nommer.
    ''')
    nb.code('''
    informations = [
        "groupe sanguin",
        "rendez-vous pris chez un cardiologue",
        "remboursement d'un médicament antidiabétique",
        "adresse postale",
        "pointure de chaussures",
        "résultat d'une analyse de sang",
        "numéro de téléphone portable",
        "mention « travailleur handicapé » dans un dossier",
    ]
    ''')
    nb.answer("d1-01-donnees-sante", '''
    est_donnee_de_sante = {
        ### BEGIN SOLUTION
        "groupe sanguin": True,
        "rendez-vous pris chez un cardiologue": True,
        "remboursement d'un médicament antidiabétique": True,
        "adresse postale": False,
        "pointure de chaussures": False,
        "résultat d'une analyse de sang": True,
        "numéro de téléphone portable": False,
        "mention « travailleur handicapé » dans un dossier": True,
        ### END SOLUTION
    }
    ''')
    nb.tests("d1-01-donnees-sante-tests", '''
    assert set(est_donnee_de_sante) == set(informations), (
        "Donnez une réponse pour chaque information de la liste, sans en ajouter."
    )
    assert all(isinstance(v, bool) for v in est_donnee_de_sante.values()), (
        "Les réponses sont True ou False."
    )
    assert est_donnee_de_sante["résultat d'une analyse de sang"], (
        "Un résultat d'analyse renseigne directement sur la santé."
    )
    ### BEGIN HIDDEN TESTS
    sante = {"groupe sanguin", "rendez-vous pris chez un cardiologue",
             "remboursement d'un médicament antidiabétique", "résultat d'une analyse de sang",
             "mention « travailleur handicapé » dans un dossier"}
    assert {k for k, v in est_donnee_de_sante.items() if v} == sante
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.1"], minutes=15)
    nb.md('''
    ## Exercice 3 — Pseudonymiser avec un hachage à clé (25 min)
    Un simple hachage (`hashlib.sha256(ipp)`) ne protège pas : quiconque connaît la liste des
    IPP peut tous les hacher et retrouver les correspondances. On utilise donc un **hachage à
    clé** (HMAC-SHA-256) : sans la clé secrète, conservée par le responsable de traitement, on ne
    peut pas recalculer les pseudonymes.

    Écrivez `pseudonymiser(identifiant, cle)` qui renvoie l'empreinte HMAC-SHA-256, en
    hexadécimal, de l'identifiant encodé en UTF-8 (modules `hmac` et `hashlib`).
    ''')
    nb.answer("d1-01-hmac", '''
    def pseudonymiser(identifiant: str, cle: bytes) -> str:
        ### BEGIN SOLUTION
        return hmac.new(cle, identifiant.encode("utf-8"), hashlib.sha256).hexdigest()
        ### END SOLUTION
    ''')
    nb.tests("d1-01-hmac-tests", '''
    cle_test = b"cle-secrete-du-responsable"
    p1 = pseudonymiser("p000042", cle_test)
    assert isinstance(p1, str) and len(p1) == 64, "Attendu : 64 caractères hexadécimaux."
    assert p1 == pseudonymiser("p000042", cle_test), "Le même identifiant doit donner le même pseudonyme."
    assert p1 != pseudonymiser("p000042", b"autre-cle"), "Le pseudonyme doit dépendre de la clé."
    assert p1 != hashlib.sha256(b"p000042").hexdigest(), (
        "C'est un hachage simple, sans clé : il se recalcule sans secret."
    )
    ### BEGIN HIDDEN TESTS
    for ident in ["p1", "Élodie", "x" * 100]:
        attendu = hmac.new(cle_test, ident.encode("utf-8"), hashlib.sha256).hexdigest()
        assert pseudonymiser(ident, cle_test) == attendu
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.5"], minutes=25)
    nb.md('''
    ## Exercice 4 — Construire l'extrait pseudonymisé (25 min)
    Construisez `extrait_pseudo`, un nouveau tableau (ne modifiez pas `extrait`) qui contient,
    dans cet ordre, les colonnes :
    - `pseudo` : le pseudonyme de l'`ipp` avec la clé `CLE` ci-dessous ;
    - `sexe` ;
    - `annee_naissance` : l'année de naissance (entier), à la place de la date complète ;
    - `departement` : les 2 premiers caractères du code postal, ou les 3 premiers pour
      l'outre-mer (codes postaux commençant par `97` ou `98`) ;
    - `diagnostic_cim10`.

    Aucun identifiant direct ne doit subsister.
    ''')
    nb.code('''
    CLE = b"cle-de-l-etude-2026"  # en vrai : générée au hasard et gardée hors de l'extrait
    ''')
    nb.answer("d1-01-extrait-pseudo", '''
    ### BEGIN SOLUTION
    def departement(code_postal: str) -> str:
        return code_postal[:3] if code_postal[:2] in ("97", "98") else code_postal[:2]


    extrait_pseudo = pd.DataFrame({
        "pseudo": [pseudonymiser(ipp, CLE) for ipp in extrait["ipp"]],
        "sexe": extrait["sexe"],
        "annee_naissance": pd.to_datetime(extrait["date_naissance"]).dt.year.astype(int),
        "departement": extrait["code_postal"].map(departement),
        "diagnostic_cim10": extrait["diagnostic_cim10"],
    })
    ### END SOLUTION
    ''')
    nb.tests("d1-01-extrait-pseudo-tests", '''
    assert list(extrait_pseudo.columns) == [
        "pseudo", "sexe", "annee_naissance", "departement", "diagnostic_cim10"
    ], "Les colonnes attendues, dans l'ordre : pseudo, sexe, annee_naissance, departement, diagnostic_cim10."
    assert len(extrait_pseudo) == len(extrait), "Une ligne par patient de l'extrait."
    assert "ipp" in extrait.columns, "Ne modifiez pas `extrait` : créez un nouveau tableau."
    assert extrait_pseudo["pseudo"].is_unique, "Deux patients différents ont le même pseudonyme."
    assert not set(extrait_pseudo["pseudo"]) & set(extrait["ipp"]), "L'IPP apparaît en clair."
    ### BEGIN HIDDEN TESTS
    ligne = extrait.iloc[7]
    attendu = extrait_pseudo.iloc[7]
    assert attendu["pseudo"] == hmac.new(CLE, ligne["ipp"].encode(), hashlib.sha256).hexdigest()
    assert int(attendu["annee_naissance"]) == int(ligne["date_naissance"][:4])
    for cp, dep in zip(extrait["code_postal"], extrait_pseudo["departement"], strict=True):
        assert dep == (cp[:3] if cp.startswith(("97", "98")) else cp[:2]), (cp, dep)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.5"], minutes=25)
    nb.md('''
    ## Exercice 5 — Mesurer le risque : k-anonymat (20 min)
    Un jeu de données est **k-anonyme** pour des quasi-identifiants donnés si toute combinaison
    de valeurs de ces quasi-identifiants qui y figure est partagée par **au moins k** lignes.
    Le k d'un jeu de données est donc la taille de la plus petite « classe d'équivalence ».

    Écrivez `k_anonymat(df, quasi_identifiants)` qui renvoie ce k (un entier).
    ''')
    nb.answer("d1-01-k-anonymat", '''
    def k_anonymat(df: pd.DataFrame, quasi_identifiants: list[str]) -> int:
        ### BEGIN SOLUTION
        return int(df.groupby(quasi_identifiants, dropna=False).size().min())
        ### END SOLUTION
    ''')
    nb.tests("d1-01-k-anonymat-tests", '''
    jouet = pd.DataFrame({
        "sexe": ["F", "F", "F", "M", "M"],
        "age": [30, 30, 30, 40, 40],
        "diagnostic": ["E11", "I10", "E11", "J45", "J45"],
    })
    assert k_anonymat(jouet, ["sexe", "age"]) == 2, "Classes (F, 30) : 3 lignes, (M, 40) : 2 lignes : k = 2."
    assert k_anonymat(jouet, ["sexe"]) == 2
    ### BEGIN HIDDEN TESTS
    assert k_anonymat(jouet, ["diagnostic"]) == 1
    assert k_anonymat(jouet.iloc[:3], ["sexe", "age"]) == 3
    attendu = extrait.groupby(["sexe", "lieu_naissance"]).size().min()
    assert k_anonymat(extrait, ["sexe", "lieu_naissance"]) == attendu
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.5"], minutes=20)
    nb.md('''
    ## Exercice 6 — l-diversité (20 min)
    Le k-anonymat ne suffit pas : si toutes les lignes d'une classe ont le même diagnostic,
    savoir qu'une personne est dans la classe révèle son diagnostic. Un jeu de données est
    **l-divers** si chaque classe d'équivalence contient au moins **l** valeurs différentes de
    l'attribut sensible.

    Écrivez `l_diversite(df, quasi_identifiants, sensible)` qui renvoie ce l (un entier). Une
    valeur manquante de l'attribut sensible ne compte pas comme une valeur.
    ''')
    nb.answer("d1-01-l-diversite", '''
    def l_diversite(df: pd.DataFrame, quasi_identifiants: list[str], sensible: str) -> int:
        ### BEGIN SOLUTION
        return int(df.groupby(quasi_identifiants, dropna=False)[sensible].nunique().min())
        ### END SOLUTION
    ''')
    nb.tests("d1-01-l-diversite-tests", '''
    jouet = pd.DataFrame({
        "sexe": ["F", "F", "F", "M", "M"],
        "age": [30, 30, 30, 40, 40],
        "diagnostic": ["E11", "I10", "E11", "J45", "J45"],
    })
    assert l_diversite(jouet, ["sexe", "age"], "diagnostic") == 1, (
        "La classe (M, 40) n'a qu'un diagnostic : J45. Son l vaut 1."
    )
    ### BEGIN HIDDEN TESTS
    assert l_diversite(jouet.iloc[:3], ["sexe", "age"], "diagnostic") == 2
    assert l_diversite(jouet, ["age"], "sexe") == 1
    jouet2 = jouet.assign(diagnostic=["E11", "I10", None, "J45", "I10"])
    assert l_diversite(jouet2, ["sexe", "age"], "diagnostic") == 2
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.5"], minutes=20)
    nb.md('''
    ## Exercice 7 — Avant / après la généralisation (15 min)
    Calculez :
    - `k_avant` : le k de `extrait` pour les quasi-identifiants `sexe`, `date_naissance`,
      `code_postal` ;
    - `k_apres` : le k de `extrait_pseudo` pour `sexe`, `annee_naissance`, `departement` ;
    - `part_a_risque` : dans `extrait_pseudo`, la proportion (entre 0 et 1) de lignes qui sont
      dans une classe de moins de 5 lignes pour ces trois quasi-identifiants.

    Utilisez vos fonctions, ou pandas directement.
    ''')
    nb.answer("d1-01-risque", '''
    ### BEGIN SOLUTION
    quasi_apres = ["sexe", "annee_naissance", "departement"]
    k_avant = k_anonymat(extrait, ["sexe", "date_naissance", "code_postal"])
    k_apres = k_anonymat(extrait_pseudo, quasi_apres)
    tailles = extrait_pseudo.groupby(quasi_apres)["pseudo"].transform("size")
    part_a_risque = float((tailles < 5).mean())
    ### END SOLUTION
    ''')
    nb.tests("d1-01-risque-tests", '''
    assert int(k_avant) == k_avant and int(k_apres) == k_apres, "k est un nombre entier de lignes."
    assert k_avant >= 1 and k_apres >= k_avant, "Généraliser ne peut pas faire baisser k."
    assert 0 <= part_a_risque <= 1, "Une proportion est entre 0 et 1."
    ### BEGIN HIDDEN TESTS
    q = ["sexe", "annee_naissance", "departement"]
    assert k_avant == extrait.groupby(["sexe", "date_naissance", "code_postal"]).size().min()
    assert k_apres == extrait_pseudo.groupby(q).size().min()
    taille = extrait_pseudo.groupby(q)["sexe"].transform("size")
    assert abs(part_a_risque - (taille < 5).sum() / len(extrait_pseudo)) < 1e-9
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.5"], minutes=15)
    nb.md('''
    ## Exercice 8 — Pseudonyme ou anonyme ? (20 min)
    Votre collègue propose de publier `extrait_pseudo` en ligne « puisqu'il est anonymisé ».
    Répondez-lui en quelques phrases : `extrait_pseudo` est-il anonyme au sens du RGPD ?
    Appuyez-vous sur les chiffres de l'exercice 7. Que faudrait-il pour réutiliser ces données
    dans un entrepôt de données de santé ou via le Health Data Hub ?
    ''')
    nb.free_text("d1-01-anonyme-ou-pseudo", rubric=[
        (1, "Dit que les données restent pseudonymisées, donc personnelles : le RGPD s'applique."),
        (1, "Explique le risque : la clé permet de revenir aux IPP, et les quasi-identifiants "
            "restants isolent des personnes (k petit, part à risque citée)."),
        (1, "Nomme les conditions de réutilisation : finalité d'intérêt public, information des "
            "patients, formalités CNIL (méthode de référence ou autorisation), accès restreint."),
    ], solution='''
    Non. `extrait_pseudo` est **pseudonymisé**, pas anonyme : les données restent des données à
    caractère personnel et le RGPD s'applique entièrement. La clé `CLE` permet à son détenteur de
    refaire le lien avec les IPP, et même sans la clé les quasi-identifiants restants (sexe, année
    de naissance, département) laissent des classes de moins de 5 personnes (k après
    généralisation petit, part à risque non nulle) : un voisin ou un employeur pourrait
    reconnaître quelqu'un et apprendre son diagnostic. Une anonymisation exigerait que la
    réidentification soit impossible par des moyens raisonnables (agrégation, suppression des
    combinaisons rares…). Pour réutiliser ces données dans un entrepôt ou via le Health Data Hub :
    une finalité d'intérêt public définie, l'information des patients et leur droit
    d'opposition, les formalités CNIL (conformité à une méthodologie de référence ou
    autorisation), un hébergement sécurisé et un accès restreint et tracé.
    ''', competencies=["D1.5", "D1.2"], minutes=20)
    return nb


def identite_fhir() -> NotebookBuilder:
    nb = NotebookBuilder("d1-02")
    nb.md('''
    # D1 · Notebook 2 — Identifier le patient, structurer les données en FHIR

    **Compétences travaillées**
    - **D1.3** Identifier un patient de manière fiable : INS, traits stricts, statuts de
      l'identité, identitovigilance
    - **D1.4** Structurer et coder les données : terminologies (CIM-10, LOINC, SNOMED CT, ATC),
      standards (FHIR, CDA), interopérabilité

    **Durée estimée : 2 h** (lecture comprise). Patients **fictifs** du bac à sable santelab.
    Les identités du bac à sable sont des identités **de test** : leur INS porte l'OID
    `urn:oid:1.2.250.1.213.1.4.10` (jamais celui des vraies INS, `…1.4.8`).
    ''')
    nb.md('''
    ## Mise en route
    Exécutez la cellule suivante. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    ''')
    nb.code('''
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient

    from santelab.course.student import load_population

    population = load_population(n=200, seed=2026)
    patients = list(population.patients)
    print(f"{len(patients)} patients fictifs chargés.")

    OID_INS_TEST = "urn:oid:1.2.250.1.213.1.4.10"
    ''')
    nb.md('''
    ## Exercice 1 — La clé du NIR (25 min)
    Le matricule INS est le NIR : 13 caractères (sexe, année et mois de naissance, lieu de
    naissance, numéro d'ordre) suivis d'une **clé** de 2 chiffres. La clé vaut
    `97 − (N mod 97)`, où N est le nombre formé par les 13 caractères ; pour les personnes nées
    en Corse, `2A` se lit `19` et `2B` se lit `18` avant le calcul.

    Écrivez `cle_nir(nir13)` qui renvoie la clé (un entier) des 13 premiers caractères.
    ''')
    nb.answer("d1-02-cle-nir", '''
    def cle_nir(nir13: str) -> int:
        ### BEGIN SOLUTION
        nombre = int(nir13.upper().replace("2A", "19").replace("2B", "18"))
        return 97 - nombre % 97
        ### END SOLUTION
    ''')
    nb.tests("d1-02-cle-nir-tests", '''
    assert cle_nir("1631278477042") == 94, "Clé attendue pour 1631278477042 : 94."
    assert cle_nir("2790351215189") == 89, "Clé attendue pour 2790351215189 : 89."
    ### BEGIN HIDDEN TESTS
    assert cle_nir("190012A001001") == 56, "Corse : 2A se lit 19."
    assert cle_nir("190012B001001") == 97 - int("1900118001001") % 97
    for p in patients:
        if p.identity.ins:
            assert cle_nir(p.identity.ins[:13]) == int(p.identity.ins[13:]), p.identity.ins
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.3"], minutes=25)
    nb.md('''
    ## Exercice 2 — Contrôler un matricule INS (20 min)
    Écrivez `ins_valide(ins)` qui renvoie `True` si `ins` est une chaîne de **15 caractères**
    dont les 13 premiers sont des chiffres (sauf `2A` / `2B` en 6ᵉ–7ᵉ position, pour la Corse),
    dont le premier caractère est `1` ou `2`, et dont les deux derniers sont la bonne clé ;
    `False` sinon (sans jamais lever d'exception, même pour `None` ou un texte quelconque).
    ''')
    nb.answer("d1-02-ins-valide", '''
    def ins_valide(ins) -> bool:
        ### BEGIN SOLUTION
        if not isinstance(ins, str) or len(ins) != 15 or ins[0] not in "12":
            return False
        corps, cle = ins[:13], ins[13:]
        lisible = corps[:5] + corps[5:7].replace("2A", "19").replace("2B", "18") + corps[7:]
        if not (lisible.isdigit() and cle.isdigit()):
            return False
        return cle_nir(corps) == int(cle)
        ### END SOLUTION
    ''')
    nb.tests("d1-02-ins-valide-tests", '''
    assert ins_valide("279035121518989") is True, "279035121518989 est valide (clé 89)."
    assert ins_valide("279035121518988") is False, "Une clé fausse doit être refusée."
    assert ins_valide("27903512151898") is False, "14 caractères : refusé."
    ### BEGIN HIDDEN TESTS
    assert ins_valide("190012A00100156") is True
    assert ins_valide(None) is False and ins_valide("") is False
    assert ins_valide("2790351215189AB") is False
    assert ins_valide("379035121518989") is False
    assert ins_valide("2790A5121518989") is False
    assert all(ins_valide(p.identity.ins) for p in patients if p.identity.ins)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.3"], minutes=20)
    nb.md('''
    ## Exercice 3 — Statuts de l'identité (15 min)
    Le référentiel national d'identitovigilance (RNIV) définit quatre statuts : **PROV**
    (provisoire), **RECUP** (récupérée via le téléservice INSi), **VALI** (validée sur pièce
    d'identité) et **QUAL** (qualifiée : récupérée *et* validée).

    1. Complétez `peut_partager_ins` : pour chaque statut, l'INS peut-elle être utilisée et
       partagée (par exemple pour alimenter le DMP) ?
    2. Calculez `nb_ins_partageables` : le nombre de patients de `patients` dont l'INS peut
       être partagée (le statut est dans `p.identity.status`, son texte dans `str(...)`).
    ''')
    nb.answer("d1-02-statuts", '''
    ### BEGIN SOLUTION
    peut_partager_ins = {"PROV": False, "RECUP": False, "VALI": False, "QUAL": True}
    nb_ins_partageables = sum(
        1 for p in patients if str(p.identity.status) == "QUAL" and p.identity.ins
    )
    ### END SOLUTION
    ''')
    nb.tests("d1-02-statuts-tests", '''
    assert set(peut_partager_ins) == {"PROV", "RECUP", "VALI", "QUAL"}, "Les quatre statuts."
    assert peut_partager_ins["PROV"] is False, "Une identité provisoire n'a pas d'INS à partager."
    assert 0 < nb_ins_partageables < len(patients)
    ### BEGIN HIDDEN TESTS
    assert peut_partager_ins == {"PROV": False, "RECUP": False, "VALI": False, "QUAL": True}
    assert nb_ins_partageables == sum(str(p.identity.status) == "QUAL" for p in patients)
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.3"], minutes=15)
    nb.md('''
    ## Exercice 4 — Identitovigilance : deux jumeaux (15 min)
    Aux urgences, deux frères jumeaux sont enregistrés à quelques minutes d'intervalle. Ils ont
    le même nom de naissance, la même date et le même lieu de naissance, et la même adresse.
    Expliquez quels **traits** permettent de ne pas les confondre, pourquoi on n'identifie pas
    un patient par son nom d'usage, son adresse ou son numéro de téléphone, et ce que
    l'agent d'accueil doit faire avant de qualifier l'identité de chacun.
    ''')
    nb.free_text("d1-02-jumeaux", rubric=[
        (1, "Cite les traits stricts : nom de naissance, prénom(s) de naissance, date et lieu "
            "(code INSEE) de naissance, sexe ; ici les prénoms et le sexe les distinguent."),
        (1, "Explique que nom d'usage, adresse et téléphone sont des traits complémentaires, "
            "changeants ou partagés, qui ne servent pas à identifier."),
        (1, "Décrit la qualification : interroger INSi (récupération puis vérification) et "
            "contrôler une pièce d'identité de chacun ; ne rien fusionner en cas de doute."),
    ], solution='''
    Les traits stricts (nom de naissance, liste des prénoms de naissance, date de naissance,
    sexe, code INSEE du lieu de naissance) sont les seuls qui identifient : pour des jumeaux, ce
    sont les **prénoms de naissance** (et parfois le sexe) qui diffèrent, il faut donc saisir la
    liste complète. Le nom d'usage, l'adresse ou le téléphone sont des traits complémentaires :
    ils changent et sont partagés par une même famille, ils ne doivent jamais servir à
    rapprocher deux dossiers. Avant de qualifier chaque identité, l'agent récupère l'INS par le
    téléservice INSi (par la carte Vitale ou par les traits), vérifie la concordance des traits
    et contrôle une pièce d'identité à haut niveau de confiance de chacun ; en cas de doute, il
    laisse l'identité provisoire et alerte la cellule d'identitovigilance plutôt que de fusionner.
    ''', competencies=["D1.3"], minutes=15)
    nb.md('''
    ## Exercice 5 — Une ressource FHIR Patient (25 min)
    Écrivez `patient_fhir(p)` qui construit, avec `fhir.resources` (modèles **R4B**), la
    ressource `Patient` du patient `p` (un objet de `patients`) :
    - `id` : l'identifiant `p.id` ;
    - `name` : un nom d'usage officiel (`use` = `"official"`) avec `family` = nom de naissance
      et `given` = la liste des prénoms de naissance ;
    - `gender` : `"female"` ou `"male"` (`p.identity.sex` vaut `F` ou `M`) ;
    - `birthDate` : la date de naissance ;
    - `identifier` : **seulement si l'identité est qualifiée (QUAL)**, un identifiant
      `use` = `"official"`, `system` = `OID_INS_TEST`, `value` = l'INS.
    ''')
    nb.answer("d1-02-patient-fhir", '''
    def patient_fhir(p) -> Patient:
        ### BEGIN SOLUTION
        ident = p.identity
        ressource = {
            "resourceType": "Patient",
            "id": p.id,
            "name": [{"use": "official", "family": ident.birth_name,
                      "given": list(ident.given_names)}],
            "gender": "female" if str(ident.sex) == "F" else "male",
            "birthDate": ident.birth_date.isoformat(),
        }
        if str(ident.status) == "QUAL" and ident.ins:
            ressource["identifier"] = [
                {"use": "official", "system": OID_INS_TEST, "value": ident.ins}
            ]
        return Patient.model_validate(ressource)
        ### END SOLUTION
    ''')
    nb.tests("d1-02-patient-fhir-tests", '''
    qualifie = next(p for p in patients if str(p.identity.status) == "QUAL")
    r = patient_fhir(qualifie)
    assert isinstance(r, Patient), "Renvoyez un objet Patient de fhir.resources.R4B."
    assert r.id == qualifie.id
    assert r.identifier and r.identifier[0].system == OID_INS_TEST, "INS de test : OID …1.4.10."
    assert r.identifier[0].value == qualifie.identity.ins
    ### BEGIN HIDDEN TESTS
    for p in patients[:60]:
        r = patient_fhir(p)
        assert r.gender == {"F": "female", "M": "male"}[str(p.identity.sex)]
        assert r.birthDate == p.identity.birth_date
        assert r.name[0].family == p.identity.birth_name
        assert list(r.name[0].given) == list(p.identity.given_names)
        ins = [i.value for i in (r.identifier or []) if i.system == OID_INS_TEST]
        assert ins == ([p.identity.ins] if str(p.identity.status) == "QUAL" else []), p.id
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.4", "D1.3"], minutes=25)
    nb.md('''
    ## Exercice 6 — Une Observation codée LOINC et UCUM (20 min)
    Écrivez `observation_poids(patient_id, kg, quand)` qui renvoie une `Observation` R4B :
    `status` `"final"`, catégorie `vital-signs` (système
    `http://terminology.hl7.org/CodeSystem/observation-category`), code LOINC **29463-7**
    (système `http://loinc.org`, libellé « Poids corporel »), `subject` qui référence
    `Patient/<patient_id>`, `effectiveDateTime` = `quand` (une date-heure avec son fuseau
    horaire : FHIR l'exige dès qu'il y a une heure), et une valeur en **kilogrammes
    codée UCUM** (`valueQuantity` : `value`, `unit` `"kg"`, système
    `http://unitsofmeasure.org`, code `"kg"`).
    ''')
    nb.answer("d1-02-observation", '''
    def observation_poids(patient_id: str, kg: float, quand: datetime) -> Observation:
        ### BEGIN SOLUTION
        return Observation.model_validate({
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7",
                                 "display": "Poids corporel"}]},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": quand.isoformat(),
            "valueQuantity": {"value": kg, "unit": "kg",
                              "system": "http://unitsofmeasure.org", "code": "kg"},
        })
        ### END SOLUTION
    ''')
    nb.tests("d1-02-observation-tests", '''
    o = observation_poids("pat-000001", 72.4, datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Paris")))
    assert isinstance(o, Observation), "Renvoyez un objet Observation de fhir.resources.R4B."
    assert o.status == "final"
    assert o.code.coding[0].system == "http://loinc.org" and o.code.coding[0].code == "29463-7"
    assert float(o.valueQuantity.value) == 72.4
    ### BEGIN HIDDEN TESTS
    assert o.valueQuantity.system == "http://unitsofmeasure.org" and o.valueQuantity.code == "kg"
    assert o.subject.reference == "Patient/pat-000001"
    assert o.category[0].coding[0].code == "vital-signs"
    assert str(o.effectiveDateTime).startswith("2026-03-02")
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.4"], minutes=20)
    nb.md('''
    ## Exercice 7 — Lire l'export FHIR de la population (20 min)
    `population.fhir()` produit l'export FHIR R4 de la population, ressource par ressource (des
    dictionnaires). On en garde les patients d'une petite population pour aller vite.

    Écrivez `poids_du_patient(ressources, patient_id)` qui renvoie la liste, triée par date,
    des couples `(date "AAAA-MM-JJ", poids en kg)` des Observation LOINC 29463-7 du patient.
    Validez chaque Observation du patient avec `Observation.model_validate` avant de la lire
    (la validation coûte : ne validez pas les ressources des autres patients).
    ''')
    nb.code('''
    petite = load_population(n=20, seed=2026)
    ressources = list(petite.fhir())
    print(len(ressources), "ressources FHIR ; types :",
          sorted({r["resourceType"] for r in ressources}))
    ''')
    nb.answer("d1-02-lire-fhir", '''
    def poids_du_patient(ressources: list[dict], patient_id: str) -> list[tuple[str, float]]:
        ### BEGIN SOLUTION
        trouves = []
        for r in ressources:
            if r["resourceType"] != "Observation":
                continue
            if r.get("subject", {}).get("reference") != f"Patient/{patient_id}":
                continue
            o = Observation.model_validate(r)
            if ("http://loinc.org", "29463-7") in {(c.system, c.code) for c in o.code.coding}:
                trouves.append((str(o.effectiveDateTime)[:10], float(o.valueQuantity.value)))
        return sorted(trouves)
        ### END SOLUTION
    ''')
    nb.tests("d1-02-lire-fhir-tests", '''
    premier = next(r["id"] for r in ressources if r["resourceType"] == "Patient")
    serie = poids_du_patient(ressources, premier)
    assert isinstance(serie, list) and serie, "Ce patient a des poids dans l'export."
    assert all(isinstance(d, str) and len(d) == 10 for d, _ in serie), "Dates au format AAAA-MM-JJ."
    assert serie == sorted(serie), "Triez par date."
    ### BEGIN HIDDEN TESTS
    obs = petite.dataframe("observations")
    for pid in sorted(r["id"] for r in ressources if r["resourceType"] == "Patient")[:4]:
        attendu = obs[(obs["patient_id"] == pid) & (obs["code"] == "29463-7")]
        assert len(poids_du_patient(ressources, pid)) == len(attendu), pid
        assert sorted(v for _, v in poids_du_patient(ressources, pid)) == sorted(attendu["value"])
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.4"], minutes=20)
    return nb


def qualite_indicateurs() -> NotebookBuilder:
    nb = NotebookBuilder("d1-03")
    nb.md('''
    # D1 · Notebook 3 — Coder, contrôler la qualité, produire des indicateurs ; le cadre légal

    **Compétences travaillées**
    - **D1.4** Structurer et coder les données : terminologies (CIM-10, LOINC, SNOMED CT, ATC),
      standards (FHIR, CDA), interopérabilité
    - **D1.6** Juger la qualité des données et produire des indicateurs et graphiques simples à
      partir d'un jeu de données
    - **D1.2** Connaître le cadre juridique d'utilisation : RGPD, secret professionnel, partage
      au sein de l'équipe de soins, droits des patients, hébergement certifié (HDS)

    **Durée estimée : 2 h** (lecture comprise). Patients **fictifs** du bac à sable santelab.
    ''')
    nb.md('''
    ## Mise en route
    Exécutez les deux cellules suivantes. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    La seconde met les données de la population sous forme de tableaux pandas.
    ''')
    nb.code('''
    import re
    from datetime import date

    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from santelab.course.student import load_population

    population = load_population(n=200, seed=2026)
    patients = list(population.patients)
    DATE_EXTRACTION = date(2026, 1, 1)
    print(f"{len(patients)} patients fictifs chargés.")
    ''')
    nb.code('''
    tab_patients = pd.DataFrame([
        {"patient_id": p.id, "sexe": str(p.identity.sex), "date_naissance": p.identity.birth_date}
        for p in patients
    ])
    tab_diagnostics = pd.DataFrame([
        {"patient_id": p.id, "code": c.codes[0].code, "libelle": c.codes[0].display,
         "systeme": c.codes[0].system}
        for p in patients for c in p.conditions
    ])
    tab_observations = pd.DataFrame([
        {"patient_id": p.id, "loinc": o.code.code, "libelle": o.code.display,
         "date": o.effective.date(), "valeur": o.value, "unite": o.unit}
        for p in patients for o in p.observations
    ])
    tab_diagnostics.head()
    ''')
    nb.md('''
    ## Exercice 1 — Le format d'un code CIM-10 (15 min)
    Un code CIM-10 s'écrit avec une **lettre majuscule**, **deux chiffres**, puis
    éventuellement un **point** suivi d'**un ou deux chiffres** : `I10`, `E11.9`, `J44.1`.
    Écrivez `code_cim10_valide(code)` (une expression régulière suffit) ; elle renvoie `False`
    pour tout ce qui n'est pas une chaîne.
    ''')
    nb.answer("d1-03-cim10", '''
    def code_cim10_valide(code) -> bool:
        ### BEGIN SOLUTION
        return isinstance(code, str) and re.fullmatch(r"[A-Z][0-9]{2}(\\.[0-9]{1,2})?", code) is not None
        ### END SOLUTION
    ''')
    nb.tests("d1-03-cim10-tests", '''
    assert code_cim10_valide("I10") and code_cim10_valide("E11.9"), "I10 et E11.9 sont valides."
    assert not code_cim10_valide("e11"), "La lettre est une majuscule."
    assert not code_cim10_valide("E1"), "Il faut deux chiffres après la lettre."
    ### BEGIN HIDDEN TESTS
    for faux in ["11E", "E11.", "E11.123", "E11-9", "", None, 11, "I10 "]:
        assert not code_cim10_valide(faux), faux
    cim = tab_diagnostics[tab_diagnostics["systeme"] == "cim10"]["code"]
    assert len(cim) and all(code_cim10_valide(c) for c in cim)
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.4"], minutes=15)
    nb.md('''
    ## Exercice 2 — Le chiffre de contrôle d'un code LOINC (25 min)
    Un code LOINC (`29463-7`, poids corporel) se termine par un **chiffre de contrôle**
    calculé par l'algorithme « modulo 10 » (celui de Luhn) sur la partie avant le tiret :
    1. en partant de la **droite**, doubler un chiffre sur deux en commençant par le dernier ;
    2. additionner les **chiffres** de tous les nombres obtenus et des chiffres non doublés ;
    3. le chiffre de contrôle est ce qui manque pour atteindre la dizaine supérieure
       (0 si la somme est déjà un multiple de 10).

    Exemple : `29463` → on double 3, 4 et 2 (6, 8, 4), on garde 6 et 9 ;
    6 + 8 + 4 + 6 + 9 = 33 → contrôle 7.
    Écrivez `loinc_valide(code)` : `True` si `code` a la forme `chiffres-chiffre` et que le
    chiffre de contrôle est juste.
    ''')
    nb.answer("d1-03-loinc", '''
    def loinc_valide(code) -> bool:
        ### BEGIN SOLUTION
        if not isinstance(code, str) or re.fullmatch(r"[0-9]{1,7}-[0-9]", code) is None:
            return False
        corps, controle = code.split("-")
        total = 0
        for rang, chiffre in enumerate(reversed(corps)):
            n = int(chiffre) * (2 if rang % 2 == 0 else 1)
            total += n // 10 + n % 10
        return (10 - total % 10) % 10 == int(controle)
        ### END SOLUTION
    ''')
    nb.tests("d1-03-loinc-tests", '''
    assert loinc_valide("29463-7"), "29463-7 (poids corporel) est valide."
    assert not loinc_valide("29463-8"), "29463-8 : mauvais chiffre de contrôle."
    assert not loinc_valide("29463"), "Il manque le chiffre de contrôle."
    ### BEGIN HIDDEN TESTS
    for bon in ["8867-4", "2345-7", "8302-2", "11488-4", "57833-6", "34112-3", "18748-4"]:
        assert loinc_valide(bon), bon
    for faux in ["8867-5", "2345-0", "abcde-1", None, "", "11488-44"]:
        assert not loinc_valide(faux), faux
    assert all(loinc_valide(c) for c in tab_observations["loinc"].unique())
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.4"], minutes=25)
    nb.md('''
    ## Exercice 3 — Diagnostiquer la qualité d'un jeu de données (20 min)
    Un fichier de poids vous arrive d'un autre logiciel. La cellule ci-dessous le fabrique à
    partir des poids de la population, avec les défauts qu'on rencontre en vrai.

    Écrivez `problemes_qualite(df)` qui renvoie un dictionnaire de comptes :
    - `"manquants"` : lignes dont le `poids_kg` est absent ;
    - `"doublons"` : lignes qui répètent exactement une ligne précédente (la première
      occurrence n'est pas comptée) ;
    - `"aberrants"` : poids présents hors de l'intervalle [2 ; 350] kg ;
    - `"dates_futures"` : lignes datées après `DATE_EXTRACTION`.
    ''')
    nb.code('''
    rng = np.random.default_rng(2026)
    poids = (tab_observations[tab_observations["loinc"] == "29463-7"]
             [["patient_id", "date", "valeur"]].rename(columns={"valeur": "poids_kg"})
             .reset_index(drop=True))
    defauts = rng.choice(len(poids), size=40, replace=False)
    poids.loc[defauts[:10], "poids_kg"] = np.nan                        # valeur non saisie
    poids.loc[defauts[10:18], "poids_kg"] *= 1000                       # saisi en grammes
    poids.loc[defauts[18:22], "poids_kg"] = -poids.loc[defauts[18:22], "poids_kg"]
    poids.loc[defauts[22:28], "date"] = date(2031, 1, 1)                # année mal tapée
    poids = pd.concat([poids, poids.iloc[defauts[28:40]]], ignore_index=True)  # envoyés 2 fois
    print(len(poids), "lignes")
    ''')
    nb.answer("d1-03-qualite", '''
    def problemes_qualite(df: pd.DataFrame) -> dict[str, int]:
        ### BEGIN SOLUTION
        presents = df["poids_kg"].dropna()
        return {
            "manquants": int(df["poids_kg"].isna().sum()),
            "doublons": int(df.duplicated().sum()),
            "aberrants": int(((presents < 2) | (presents > 350)).sum()),
            "dates_futures": int((df["date"] > DATE_EXTRACTION).sum()),
        }
        ### END SOLUTION
    ''')
    nb.tests("d1-03-qualite-tests", '''
    jouet = pd.DataFrame({
        "patient_id": ["a", "a", "b", "c", "c"],
        "date": [date(2025, 1, 1), date(2025, 1, 1), date(2030, 1, 1), date(2025, 2, 1),
                 date(2025, 3, 1)],
        "poids_kg": [70.0, 70.0, np.nan, 65000.0, 64.0],
    })
    r = problemes_qualite(jouet)
    assert set(r) == {"manquants", "doublons", "aberrants", "dates_futures"}, "Les quatre clés."
    assert r["manquants"] == 1 and r["doublons"] == 1, "1 manquant, 1 doublon dans l'exemple."
    ### BEGIN HIDDEN TESTS
    assert r["aberrants"] == 1 and r["dates_futures"] == 1
    r = problemes_qualite(poids)
    assert r["manquants"] == poids["poids_kg"].isna().sum() >= 10
    assert r["doublons"] == poids.duplicated().sum() >= 1
    assert r["aberrants"] == ((poids["poids_kg"] < 2) | (poids["poids_kg"] > 350)).sum() >= 12
    assert r["dates_futures"] == sum(d > DATE_EXTRACTION for d in poids["date"]) >= 6
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.6"], minutes=20)
    nb.md('''
    ## Exercice 4 — Nettoyer (15 min)
    Construisez `poids_propres` : `poids` sans les lignes manquantes, les doublons, les poids
    aberrants ni les dates futures (ne corrigez pas les valeurs : écartez les lignes ; dans un
    vrai projet, on les signale aussi à la source).
    ''')
    nb.answer("d1-03-nettoyage", '''
    ### BEGIN SOLUTION
    poids_propres = poids.drop_duplicates().dropna(subset=["poids_kg"])
    poids_propres = poids_propres[
        poids_propres["poids_kg"].between(2, 350) & (poids_propres["date"] <= DATE_EXTRACTION)
    ]
    ### END SOLUTION
    ''')
    nb.tests("d1-03-nettoyage-tests", '''
    assert poids_propres["poids_kg"].notna().all(), "Il reste des poids manquants."
    assert poids_propres["poids_kg"].between(2, 350).all(), "Il reste des poids aberrants."
    assert not poids_propres.duplicated().any(), "Il reste des doublons."
    ### BEGIN HIDDEN TESTS
    assert all(d <= DATE_EXTRACTION for d in poids_propres["date"])
    bons = poids.drop_duplicates()
    bons = bons[bons["poids_kg"].between(2, 350) & bons["date"].map(lambda d: d <= DATE_EXTRACTION)]
    assert len(poids_propres) == len(bons)
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.6"], minutes=15)
    nb.md('''
    ## Exercice 5 — Un indicateur : la prévalence de l'hypertension par âge (25 min)
    Calculez `prevalence_hta` : une série pandas indexée par les tranches d'âge
    `["0-17", "18-44", "45-64", "65+"]` (dans cet ordre, âge en années révolues au
    `DATE_EXTRACTION`), qui donne le **pourcentage** de patients de la tranche ayant au moins un
    diagnostic d'hypertension essentielle (CIM-10 `I10`).
    ''')
    nb.code('''
    def age_revolu(naissance: date, au: date = DATE_EXTRACTION) -> int:
        return au.year - naissance.year - ((au.month, au.day) < (naissance.month, naissance.day))
    ''')
    nb.answer("d1-03-prevalence", '''
    ### BEGIN SOLUTION
    TRANCHES = ["0-17", "18-44", "45-64", "65+"]
    ages = tab_patients["date_naissance"].map(age_revolu)
    tranche = pd.cut(ages, bins=[-1, 17, 44, 64, 200], labels=TRANCHES)
    hta = tab_patients["patient_id"].isin(
        tab_diagnostics.loc[tab_diagnostics["code"] == "I10", "patient_id"]
    )
    prevalence_hta = (hta.groupby(tranche, observed=False).mean() * 100).reindex(TRANCHES)
    ### END SOLUTION
    ''')
    nb.tests("d1-03-prevalence-tests", '''
    assert list(prevalence_hta.index) == ["0-17", "18-44", "45-64", "65+"], "Index : les 4 tranches, dans l'ordre."
    assert prevalence_hta.between(0, 100).all(), "Des pourcentages, entre 0 et 100."
    assert prevalence_hta["65+"] > prevalence_hta["0-17"], "L'HTA est plus fréquente après 65 ans."
    ### BEGIN HIDDEN TESTS
    ids_hta = set(tab_diagnostics.loc[tab_diagnostics["code"] == "I10", "patient_id"])
    for nom, bas, haut in [("0-17", 0, 17), ("18-44", 18, 44), ("45-64", 45, 64), ("65+", 65, 200)]:
        groupe = [p.id for p in patients if bas <= age_revolu(p.identity.birth_date) <= haut]
        attendu = 100 * sum(i in ids_hta for i in groupe) / len(groupe)
        assert abs(prevalence_hta[nom] - attendu) < 1e-6, (nom, prevalence_hta[nom], attendu)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D1.6"], minutes=25)
    nb.md('''
    ## Exercice 6 — Un graphique lisible (15 min)
    Avec matplotlib, créez `fig` : une figure avec **un diagramme en barres** de
    `prevalence_hta` (une barre par tranche), un **titre**, et un axe des ordonnées dont
    l'intitulé contient `%`.
    ''')
    nb.answer("d1-03-graphique", '''
    ### BEGIN SOLUTION
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(prevalence_hta.index, prevalence_hta.values, color="#3b7dd8")
    ax.set_title("Hypertension essentielle (I10) par tranche d'âge — population fictive")
    ax.set_xlabel("Tranche d'âge (années)")
    ax.set_ylabel("Patients concernés (%)")
    ### END SOLUTION
    ''')
    nb.tests("d1-03-graphique-tests", '''
    ax = fig.axes[0]
    barres = [b for b in ax.patches if b.get_height() is not None]
    assert len(barres) == 4, "Une barre par tranche d'âge : 4 barres."
    assert ax.get_title(), "Donnez un titre au graphique."
    assert "%" in ax.get_ylabel(), "L'axe des ordonnées doit dire qu'il s'agit de %."
    ### BEGIN HIDDEN TESTS
    hauteurs = [b.get_height() for b in barres]
    assert np.allclose(hauteurs, prevalence_hta.values)
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D1.6"], minutes=15)
    nb.md('''
    ## Exercice 7 — Vrai ou faux : le cadre légal (10 min)
    Pour chaque affirmation, indiquez `True` (vraie) ou `False` (fausse).
    ''')
    nb.classify(
        "d1-03-vrai-faux", items="affirmations", answer="vrai_ou_faux",
        entries=[
            ("Un hébergeur qui conserve des données de santé pour le compte d'un établissement doit être certifié HDS.", True),
            ("Dans une équipe de soins, les professionnels peuvent partager les informations nécessaires à la prise en charge, sauf opposition du patient dûment informé.", True),
            ("Le consentement du patient est la seule base légale possible pour traiter ses données de santé.", False),
            ("Un patient peut accéder aux informations de santé le concernant détenues par un professionnel ou un établissement.", True),
            ("Le secret professionnel prend fin au décès du patient.", False),
            ("Des données de santé pseudonymisées sortent du champ du RGPD.", False),
        ],
        each="Une réponse par affirmation.",
        points=2, competencies=["D1.2"], minutes=10)
    nb.md('''
    ## Exercice 8 — Un projet qui part mal (20 min)
    Une infirmière de votre service veut aider une jeune entreprise qui développe une
    intelligence artificielle : elle propose d'exporter la liste des patients du service
    (noms, dates de naissance, diagnostics, traitements) dans un tableur, de l'envoyer depuis
    sa messagerie personnelle et de le déposer sur un espace de stockage en ligne grand public.
    Expliquez ce qui pose problème au regard du **RGPD**, du **secret professionnel**, de
    l'**hébergement des données de santé** et des **droits des patients**, et ce qu'il faudrait
    faire à la place.
    ''')
    nb.free_text("d1-03-cadre-legal", rubric=[
        (1, "RGPD : données de santé = catégorie particulière (art. 9), interdites sauf "
            "exception ; finalité, base légale, minimisation, sécurité, responsable de "
            "traitement et DPO à associer."),
        (1, "Secret professionnel (art. L1110-4 du code de la santé publique) : l'entreprise "
            "n'est pas dans l'équipe de soins, la transmission nominative est une violation."),
        (1, "Hébergement : données de santé hébergées pour le compte d'autrui → hébergeur "
            "certifié HDS ; messagerie personnelle et stockage grand public exclus."),
        (1, "Droits des patients et alternative : information, opposition, accès ; passer par "
            "un projet de recherche encadré (CNIL, données pseudonymisées, entrepôt ou Health "
            "Data Hub)."),
    ], solution='''
    Les données de santé sont une catégorie particulière de données (RGPD, art. 9) : leur
    traitement est interdit sauf exception (soins, recherche d'intérêt public encadrée…). Ce
    projet n'a ni finalité déterminée, ni base légale, ni minimisation (noms et dates de
    naissance inutiles pour entraîner un modèle), ni sécurité ; il doit passer par le
    responsable de traitement (l'établissement) et son délégué à la protection des données.
    Transmettre des informations nominatives à une entreprise extérieure à l'équipe de soins
    viole le secret professionnel (art. L1110-4 du code de la santé publique). Stocker des
    données de santé chez un tiers exige un hébergeur certifié HDS (art. L1111-8) : une
    messagerie personnelle et un stockage grand public ne le sont pas. Les patients doivent être
    informés et pouvoir s'opposer ; ils gardent leurs droits d'accès et de rectification. À la
    place : monter un projet de recherche ou d'entrepôt avec la direction, le DPO et la
    commission compétente, respecter une méthodologie de référence de la CNIL (ou obtenir son
    autorisation), ne transmettre que des données pseudonymisées et minimisées, sur une
    plateforme sécurisée (entrepôt de l'établissement, Health Data Hub).
    ''', competencies=["D1.2"], minutes=20)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {
        "01_identifiants_pseudonymisation": identifiants(),
        "02_identite_fhir": identite_fhir(),
        "03_qualite_indicateurs": qualite_indicateurs(),
    }
