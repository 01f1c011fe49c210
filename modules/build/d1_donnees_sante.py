"""D1 « Les données de santé »: the notebooks of the assignment d1_donnees_sante."""

from __future__ import annotations

from santelab.course.authoring import NotebookBuilder

SETUP_POPULATION = '''
import hashlib
import hmac

import pandas as pd

from santelab.course.student import load_population

# Même graine pour tout le monde : chacun travaille sur les mêmes patients fictifs.
population = load_population(n=300, seed=2026)
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


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_identifiants_pseudonymisation": identifiants()}
