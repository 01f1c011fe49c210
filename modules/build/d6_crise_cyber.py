"""D6 « Crise cyber »: a ransomware drill in degraded mode (the assignment d6_crise_cyber).

There is no sixth domain in the framework: its graded cells prove D2 competencies (D2.3, D2.4,
D2.5), as `modules/competencies.yaml` maps it.
"""

from __future__ import annotations

from santelab.course.authoring import NotebookBuilder

INTRO_TESTS = '''
Chaque exercice se termine par une cellule de tests : les tests visibles vous disent si
vous êtes sur la bonne voie ; d'autres tests, cachés, servent à la note finale.
Les patients, les professionnels et l'établissement sont **fictifs**.
'''

SETUP = '''
from datetime import datetime

from santelab.course.student import StudentError

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from sandbox.client import SandboxError, ServiceUnavailable, connect
except ImportError:
    raise StudentError("Le bac à sable santelab est introuvable : dans un terminal, à la racine "
                       "du projet, lancez `pip install -e .` puis redémarrez le noyau.") from None
try:
    s = connect(persona="medecin")
    animateur = connect(persona="facilitateur")
    ins_patiente = connect(persona="patient").dmp.consent().ins
    for service in ("dmp", "eprescription", "insi", "annuaire"):
        animateur.admin.clear(service)  # on part d'un bac à sable sans panne
except Exception as exc:
    raise StudentError(
        "Impossible de joindre le bac à sable. Si vous utilisez un serveur (variable "
        "SANTELAB_URL), vérifiez qu'il est lancé (`santelab sandbox up`) ; sinon redémarrez le "
        f"noyau et réexécutez cette cellule. Détail : {exc}") from None
print(f"Connecté au bac à sable « {s.tenant} » comme médecin ; l'animateur de l'exercice est prêt.")
'''


def mode_degrade() -> NotebookBuilder:
    nb = NotebookBuilder("d6-01")
    nb.md(f'''
    # Crise cyber · Notebook 1 — Rançongiciel : soigner en mode dégradé, déclarer, reprendre

    Cet exercice de crise n'est pas un domaine à part du référentiel : il entraîne les
    compétences du domaine **D2 — La cybersécurité en santé**.

    **Compétences travaillées**
    - **D2.3** Détecter une attaque : un courriel piège, un accès anormal dans une trace
      d'audit, un comportement inhabituel du système
    - **D2.4** Réagir à un incident : alerter, contenir, déclarer (procédure de l'établissement,
      CERT régional et national), préserver les preuves
    - **D2.5** Continuer à soigner en mode dégradé : plans de continuité, procédures papier,
      reprise après restauration

    **Durée estimée : 3 h** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    La cellule suivante vous connecte comme **médecin** du « CH Exemple » ; une seconde
    session joue l'**animateur** de l'exercice, qui injecte les pannes. Si un message ⚠️
    s'affiche, suivez ce qu'il indique.
    ''')
    nb.code(SETUP)
    nb.md('''
    ## Le scénario
    Mercredi 18 novembre, 3 h 12 : l'antivirus du serveur de fichiers donne l'alerte. À 3 h 40,
    le connecteur de l'établissement vers les services nationaux est coupé par précaution.
    Exécutez la cellule suivante : l'animateur rend des services **indisponibles**.
    ''')
    nb.code('''
    message = "Cyberattaque en cours au CH Exemple : connecteur coupé par la cellule de crise."
    for service in ("dmp", "eprescription"):
        animateur.admin.fault(service, "indisponible", message=message)
    print("Pannes injectées par l'animateur.")
    ''')
    nb.md('''
    ## Exercice 1 — Qu'est-ce qui marche encore ? (25 min)
    Vous ne savez pas quels services sont touchés. Écrivez `etat_services(sondes)` qui appelle
    chaque sonde (une fonction sans argument) et renvoie le dictionnaire
    `service -> "disponible"` ou `"indisponible"` : une sonde qui lève `ServiceUnavailable`
    signale un service indisponible. N'attrapez **que** cette exception : un autre refus (droits,
    requête invalide) ne veut pas dire que le service est en panne. Calculez ensuite `etat`.
    ''')
    nb.code('''
    sondes = {
        "insi": lambda: s.insi.search(carte_vitale="0000000000"),
        "annuaire": lambda: s.annuaire.search(name="martin"),
        "dmp": lambda: s.dmp.search(ins_patiente),
        "eprescription": lambda: s.eprescription.list(),
    }
    ''')
    nb.answer("d6-01-etat", '''
    def etat_services(sondes: dict) -> dict[str, str]:
        ### BEGIN SOLUTION
        etat = {}
        for service, sonde in sondes.items():
            try:
                sonde()
                etat[service] = "disponible"
            except ServiceUnavailable:
                etat[service] = "indisponible"
        return etat
        ### END SOLUTION


    ### BEGIN SOLUTION
    etat = etat_services(sondes)
    ### END SOLUTION
    etat
    ''')
    nb.tests("d6-01-etat-tests", '''
    assert set(etat) == set(sondes), "Un état pour chaque service sondé."
    assert etat["dmp"] == "indisponible", "Le DMP est injoignable depuis l'établissement."
    assert etat["insi"] == "disponible", "L'INSi répond encore."
    ### BEGIN HIDDEN TESTS
    assert etat == {"insi": "disponible", "annuaire": "disponible", "dmp": "indisponible",
                    "eprescription": "indisponible"}


    def refuse():
        raise SandboxError("refus")


    try:
        autre = etat_services({"x": refuse})
    except SandboxError:
        autre = "propagée"
    assert autre == "propagée"
    animateur.admin.fault("annuaire", "indisponible")
    try:
        assert etat_services({"annuaire": sondes["annuaire"]}) == {"annuaire": "indisponible"}
    finally:
        animateur.admin.clear("annuaire")
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.3", "D2.5"], minutes=25)
    nb.md('''
    ## Exercice 2 — La procédure papier (20 min)
    Le plan de continuité de l'établissement prévoit des **procédures dégradées**. Pour chaque
    mesure ci-dessous, indiquez `True` si elle fait partie d'une bonne procédure papier,
    `False` sinon.
    ''')
    nb.code('''
    mesures = [
        "sortir les ordonnances papier numérotées et les feuilles de traçabilité des administrations",
        "identifier chaque patient avec son bracelet et des étiquettes imprimées avant la panne",
        "noter l'heure de chaque acte et de chaque administration sur le support papier",
        "photographier les dossiers avec son téléphone personnel pour les partager par une messagerie grand public",
        "transférer les résultats entre postes avec une clé USB personnelle",
        "conserver et classer tous les documents papier pour la ressaisie après la restauration",
        "appeler le laboratoire et confirmer par écrit les résultats critiques transmis par téléphone",
        "reporter toutes les admissions jusqu'au retour du système",
    ]
    ''')
    nb.answer("d6-01-papier", '''
    dans_la_procedure = {
        ### BEGIN SOLUTION
        mesures[0]: True,
        mesures[1]: True,
        mesures[2]: True,
        mesures[3]: False,
        mesures[4]: False,
        mesures[5]: True,
        mesures[6]: True,
        mesures[7]: False,
        ### END SOLUTION
    }
    ''')
    nb.tests("d6-01-papier-tests", '''
    assert set(dans_la_procedure) == set(mesures), "Une réponse pour chaque mesure."
    assert all(isinstance(v, bool) for v in dans_la_procedure.values()), "Les réponses sont True ou False."
    assert dans_la_procedure[mesures[3]] is False, (
        "Une messagerie grand public fait sortir des données de santé de l'établissement."
    )
    ### BEGIN HIDDEN TESTS
    assert [dans_la_procedure[x] for x in mesures] == [True, True, True, False, False, True, True, False]
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.5"], minutes=20)
    nb.md('''
    ## Exercice 3 — Contrôler une fiche de déclaration (25 min)
    La direction déclare l'incident sur le **portail de signalement des événements sanitaires
    indésirables** (il est transmis à l'ARS et au CERT Santé). Une fiche incomplète fait perdre
    du temps. Écrivez `elements_manquants(rapport)` qui renvoie la liste **triée** des champs de
    `CHAMPS_OBLIGATOIRES` absents du dictionnaire `rapport` ou vides (`None`, chaîne vide ou
    faite d'espaces, liste vide). Attention : `False` est une réponse, pas un champ vide.
    ''')
    nb.code('''
    CHAMPS_OBLIGATOIRES = [
        "etablissement", "declarant", "date_heure_detection", "description",
        "services_impactes", "impact_soins", "mesures_prises", "donnees_de_sante_concernees",
    ]
    ''')
    nb.answer("d6-01-manquants", '''
    def elements_manquants(rapport: dict) -> list[str]:
        ### BEGIN SOLUTION
        manquants = []
        for champ in CHAMPS_OBLIGATOIRES:
            valeur = rapport.get(champ)
            if valeur is None or (isinstance(valeur, str) and not valeur.strip()) or (
                    isinstance(valeur, list) and not valeur):
                manquants.append(champ)
        return sorted(manquants)
        ### END SOLUTION
    ''')
    nb.tests("d6-01-manquants-tests", '''
    assert elements_manquants({}) == sorted(CHAMPS_OBLIGATOIRES), "Un rapport vide : tout manque."
    complet = {c: "x" for c in CHAMPS_OBLIGATOIRES}
    assert elements_manquants(complet) == [], "Tous les champs sont remplis : rien ne manque."
    ### BEGIN HIDDEN TESTS
    trous = {**complet, "declarant": "   ", "services_impactes": [], "impact_soins": None}
    assert elements_manquants(trous) == ["declarant", "impact_soins", "services_impactes"]
    assert elements_manquants({**complet, "donnees_de_sante_concernees": False}) == []
    assert elements_manquants({**complet, "autre": ""}) == []
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.4"], minutes=25)
    nb.md('''
    ## Exercice 4 — Rédiger la fiche (25 min)
    Remplissez `rapport` avec les champs obligatoires :
    - `date_heure_detection` au format ISO (`"2026-11-18T03:12"`) ;
    - `services_impactes` : la liste **triée** des services que **vous** avez trouvés
      indisponibles à l'exercice 1 (calculez-la depuis `etat`) ;
    - `mesures_prises` : une liste d'au moins trois mesures ;
    - `donnees_de_sante_concernees` : `True` ou `False` (à ce stade, une fuite ne peut pas être
      exclue : que répondez-vous ?) ;
    - les autres champs en texte (l'impact sur les soins en une ou deux phrases).
    ''')
    nb.answer("d6-01-rapport", '''
    ### BEGIN SOLUTION
    rapport = {
        "etablissement": "CH Exemple",
        "declarant": "Directrice de garde, au nom du directeur de l'établissement",
        "date_heure_detection": "2026-11-18T03:12",
        "description": "Alerte antivirus sur le serveur de fichiers puis chiffrement de fichiers "
                       "(rançongiciel suspecté) ; connecteur vers les services nationaux coupé.",
        "services_impactes": sorted(x for x, v in etat.items() if v == "indisponible"),
        "impact_soins": "Plus d'accès au DMP ni à l'e-prescription : ordonnances et comptes rendus "
                        "sur papier, délais de prise en charge allongés aux urgences.",
        "mesures_prises": ["isolement du serveur touché et coupure du connecteur",
                           "cellule de crise réunie, procédures papier déclenchées",
                           "CERT Santé contacté, preuves conservées (journaux, poste en l'état)"],
        "donnees_de_sante_concernees": True,
    }
    ### END SOLUTION
    ''')
    nb.tests("d6-01-rapport-tests", '''
    assert elements_manquants(rapport) == [], f"Champs manquants : {elements_manquants(rapport)}"
    datetime.fromisoformat(rapport["date_heure_detection"])  # lève une erreur si le format est faux
    assert isinstance(rapport["mesures_prises"], list) and len(rapport["mesures_prises"]) >= 3, (
        "Au moins trois mesures prises, sous forme de liste."
    )
    ### BEGIN HIDDEN TESTS
    assert rapport["services_impactes"] == ["dmp", "eprescription"]
    assert rapport["date_heure_detection"].startswith("2026-11-18T03:12")
    assert rapport["donnees_de_sante_concernees"] is True
    assert len(str(rapport["impact_soins"]).strip()) >= 30
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.4"], minutes=25)
    nb.md('''
    ## La restauration
    Vendredi 20 novembre, 14 h : les services sont rétablis. Pendant la panne, trois comptes
    rendus de consultation ont été rédigés **sur papier** pour la patiente. Un collègue,
    pressé, en a déjà ressaisi **un** dans le DMP (sans noter la référence de la fiche papier).
    Exécutez la cellule suivante.
    ''')
    nb.code('''
    for service in ("dmp", "eprescription"):
        animateur.admin.clear(service)

    fiches_papier = pd.DataFrame([
        ("P-001", "2026-11-18T10:30:00+00:00", "CR de consultation — toux fébrile (mode dégradé)",
         "Toux fébrile depuis 3 jours, auscultation : crépitants base droite. Radio demandée."),
        ("P-002", "2026-11-19T09:15:00+00:00", "CR de consultation — contrôle (mode dégradé)",
         "Apyrexie, amélioration clinique. Poursuite de l'amoxicilline."),
        ("P-003", "2026-11-19T16:40:00+00:00", "CR de consultation — résultats biologie (mode dégradé)",
         "CRP en baisse (45 mg/L). Pas de modification du traitement."),
    ], columns=["reference", "date", "titre", "texte"])
    ligne = fiches_papier.iloc[1]
    s.dmp.add(ins_patiente, type="11488-4", class_code="10", title=ligne["titre"],
              text=ligne["texte"], date=ligne["date"])
    print("Services rétablis ; la fiche P-002 a déjà été ressaisie par un collègue.")
    fiches_papier
    ''')
    nb.md('''
    ## Exercice 5 — Ressaisir sans doublon (30 min)
    1. Calculez `deja_saisies`, l'ensemble des références des fiches dont un document de
       **même titre** existe déjà dans le DMP de la patiente (`s.dmp.search(ins_patiente)`).
    2. Déposez les autres fiches dans le DMP (compte rendu de consultation : LOINC `11488-4`,
       classe `10`), avec leur date, et avec
       `master_identifier=f"urn:santelab:papier:{reference}"` : déposer deux fois le même
       identifiant ne crée pas de doublon (pratique si la ressaisie est interrompue).
    ''')
    nb.answer("d6-01-ressaisie", '''
    ### BEGIN SOLUTION
    titres_dmp = {d.title for d in s.dmp.search(ins_patiente)}
    deja_saisies = {f.reference for f in fiches_papier.itertuples() if f.titre in titres_dmp}
    for f in fiches_papier.itertuples():
        if f.reference not in deja_saisies:
            s.dmp.add(ins_patiente, type="11488-4", class_code="10", title=f.titre, text=f.texte,
                      date=f.date, master_identifier=f"urn:santelab:papier:{f.reference}")
    ### END SOLUTION
    ''')
    nb.tests("d6-01-ressaisie-tests", '''
    assert deja_saisies == {"P-002"}, "Seule la fiche P-002 a déjà été ressaisie par le collègue."
    titres = [d.title for d in s.dmp.search(ins_patiente)]
    for titre in fiches_papier["titre"]:
        assert titres.count(titre) >= 1, f"La fiche « {titre} » n'est pas dans le DMP."
    ### BEGIN HIDDEN TESTS
    docs = s.dmp.search(ins_patiente)
    for f in fiches_papier.itertuples():
        memes = [d for d in docs if d.title == f.titre]
        assert len(memes) == 1, (f.reference, len(memes))
        assert memes[0].type_code == "11488-4" and memes[0].date[:10] == f.date[:10]
        if f.reference != "P-002":
            assert memes[0].resource["masterIdentifier"]["value"] == f"urn:santelab:papier:{f.reference}"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.5"], minutes=30)
    nb.md('''
    ## Exercice 6 — Le chronogramme de la crise (30 min)
    La main courante de la cellule de crise donne, pour chaque service, le début et la fin de
    son indisponibilité.
    1. Calculez `durees_heures`, le dictionnaire `service -> durée d'indisponibilité en heures`
       (un nombre).
    2. Tracez avec matplotlib un **chronogramme** : une barre horizontale par service, de son
       début à sa fin (`ax.barh(service, largeur, left=debut)`), dans une figure rangée dans
       `fig`, avec un titre.
    ''')
    nb.code('''
    main_courante = pd.DataFrame([
        ("serveur de fichiers", "2026-11-18 03:12", "2026-11-21 18:00"),
        ("dmp", "2026-11-18 03:40", "2026-11-20 14:00"),
        ("eprescription", "2026-11-18 03:40", "2026-11-20 14:00"),
        ("dossier patient informatisé", "2026-11-18 04:05", "2026-11-22 09:30"),
        ("messagerie", "2026-11-18 08:00", "2026-11-19 12:00"),
    ], columns=["service", "debut", "fin"])
    main_courante["debut"] = pd.to_datetime(main_courante["debut"])
    main_courante["fin"] = pd.to_datetime(main_courante["fin"])
    main_courante
    ''')
    nb.answer("d6-01-chronogramme", '''
    ### BEGIN SOLUTION
    durees_heures = {
        ligne.service: (ligne.fin - ligne.debut).total_seconds() / 3600
        for ligne in main_courante.itertuples()
    }
    fig, ax = plt.subplots(figsize=(9, 3))
    for ligne in main_courante.itertuples():
        ax.barh(ligne.service, ligne.fin - ligne.debut, left=ligne.debut)
    ax.set_title("Chronogramme de la crise : indisponibilité des services")
    ax.set_xlabel("date")
    fig.autofmt_xdate()
    ### END SOLUTION
    ''')
    nb.tests("d6-01-chronogramme-tests", '''
    assert set(durees_heures) == set(main_courante["service"]), "Une durée par service de la main courante."
    assert abs(durees_heures["messagerie"] - 28) < 1e-6, "Messagerie : du 18 à 8 h au 19 à 12 h, soit 28 heures."
    assert fig.axes, "`fig` doit contenir un graphique."
    ### BEGIN HIDDEN TESTS
    assert abs(durees_heures["dmp"] - 58.333333) < 1e-3
    assert abs(durees_heures["dossier patient informatisé"] - 101.416667) < 1e-3
    barres = [p for ax_ in fig.axes for p in ax_.patches]
    assert len(barres) == len(main_courante)
    assert any(ax_.get_title().strip() for ax_ in fig.axes)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.5"], minutes=30)
    nb.md('''
    ## Exercice 7 — Retour d'expérience (25 min)
    L'exercice est terminé. Pour le retour d'expérience (RETEX), proposez **trois**
    enseignements concrets pour votre service, chacun avec l'action qui en découle.
    ''')
    nb.free_text("d6-01-retex", rubric=[
        (1, "Continuité des soins : kit papier prêt et à jour (ordonnances, feuilles de "
            "traçabilité, étiquettes), procédure connue et exercée."),
        (1, "Alerte et déclaration : qui prévenir et comment (annuaire de crise sur papier, "
            "astreinte, déclaration sur le portail, CERT Santé), preuves conservées."),
        (1, "Reprise : ressaisie organisée et tracée (références des fiches papier, pas de "
            "doublon), vérification des identités et des traitements après restauration."),
    ], solution='''
    1. Le kit papier du service était incomplet (pas d'étiquettes patients imprimées) : le
       vérifier chaque mois et l'inclure dans la check-list de la cadre de santé.
    2. Personne ne connaissait le numéro d'astreinte informatique sans l'intranet : afficher un
       annuaire de crise papier dans chaque poste de soins, et rappeler que la direction déclare
       l'incident sur le portail des signalements (CERT Santé) ; ne rien éteindre ni effacer.
    3. La ressaisie a créé un doublon : désigner un responsable de la reprise, noter la
       référence de chaque fiche papier, ressaisir avec un identifiant unique, et contrôler
       identités et traitements en cours après la restauration.
    ''', competencies=["D2.5", "D2.4"], minutes=25)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_rancongiciel_mode_degrade": mode_degrade()}
