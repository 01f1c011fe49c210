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

import matplotlib.pyplot as plt
import pandas as pd

from santelab.course.student import connect_personas

s, animateur, patiente = connect_personas("medecin", "facilitateur", "patient")
from sandbox.client import SandboxError, ServiceUnavailable, connect

ins_patiente = patiente.dmp.consent().ins
for service in ("dmp", "eprescription", "insi", "annuaire"):
    animateur.admin.clear(service)  # on part d'un bac à sable sans panne
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
    nb.classify(
        "d6-01-papier", items="mesures", answer="dans_la_procedure",
        entries=[
            ("sortir les ordonnances papier numérotées et les feuilles de traçabilité des administrations", True),
            ("identifier chaque patient avec son bracelet et des étiquettes imprimées avant la panne", True),
            ("noter l'heure de chaque acte et de chaque administration sur le support papier", True),
            ("photographier les dossiers avec son téléphone personnel pour les partager par une messagerie grand public", False),
            ("transférer les résultats entre postes avec une clé USB personnelle", False),
            ("conserver et classer tous les documents papier pour la ressaisie après la restauration", True),
            ("appeler le laboratoire et confirmer par écrit les résultats critiques transmis par téléphone", True),
            ("reporter toutes les admissions jusqu'au retour du système", False),
        ],
        each="Une réponse pour chaque mesure.",
        hints='''
        assert dans_la_procedure[mesures[3]] is False, (
            "Une messagerie grand public fait sortir des données de santé de l'établissement."
        )
        ''',
        points=2, competencies=["D2.5"], minutes=20)
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

    # Le numéro d'exercice distingue les fiches de ce notebook de celles d'une exécution
    # précédente sur un bac à sable partagé (même état de départ : même numéro).
    exercice = len(s.dmp.search(ins_patiente))
    fiches_papier = pd.DataFrame([
        ("P-001", "2026-11-18T10:30:00+00:00", f"CR de consultation — toux fébrile (mode dégradé, exercice {exercice})",
         "Toux fébrile depuis 3 jours, auscultation : crépitants base droite. Radio demandée."),
        ("P-002", "2026-11-19T09:15:00+00:00", f"CR de consultation — contrôle (mode dégradé, exercice {exercice})",
         "Apyrexie, amélioration clinique. Poursuite de l'amoxicilline."),
        ("P-003", "2026-11-19T16:40:00+00:00", f"CR de consultation — résultats biologie (mode dégradé, exercice {exercice})",
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
       `master_identifier=f"urn:santelab:papier:{exercice}:{reference}"` (`exercice` vient de
       la cellule précédente) : déposer deux fois le même identifiant ne crée pas de doublon
       (pratique si la ressaisie est interrompue).
    ''')
    nb.answer("d6-01-ressaisie", '''
    ### BEGIN SOLUTION
    titres_dmp = {d.title for d in s.dmp.search(ins_patiente)}
    deja_saisies = {f.reference for f in fiches_papier.itertuples() if f.titre in titres_dmp}
    for f in fiches_papier.itertuples():
        if f.reference not in deja_saisies:
            s.dmp.add(ins_patiente, type="11488-4", class_code="10", title=f.titre, text=f.texte,
                      date=f.date, master_identifier=f"urn:santelab:papier:{exercice}:{f.reference}")
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
            assert memes[0].resource["masterIdentifier"]["value"] == f"urn:santelab:papier:{exercice}:{f.reference}"
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


SETUP_DRILL = '''
import matplotlib.pyplot as plt
import pandas as pd

from santelab.course.student import connect_personas

animateur, medecin, patiente = connect_personas("facilitateur", "medecin", "patient")
from sandbox.client import ServiceUnavailable, connect

ins_patiente = patiente.dmp.consent().ins
print("Animateur et médecin connectés.")
'''

DRILL = '''
# Un mini-exercice joué automatiquement : l'animateur injecte une panne du DMP, les joueurs
# continuent de travailler, puis le service est rétabli et les joueurs ressaisissent.
# Répétition technique, avant le début d'exercice : l'animateur vérifie ses injections.
for service in ("eprescription", "dmp"):
    animateur.admin.fault(service, "indisponible")
    animateur.admin.clear(service)
medecin.dmp.search(ins_patiente)  # le DMP répond de nouveau

# Début d'exercice.
bloques = 0
animateur.admin.fault("dmp", "indisponible", message="Exercice : DMP indisponible (rançongiciel simulé).")
for _ in range(3):
    try:
        medecin.dmp.search(ins_patiente)
    except ServiceUnavailable:
        bloques += 1  # la tentative échoue : le DMP ne voit rien passer
medecin.insi.search(carte_vitale="0000000000")           # l'INSi répond toujours
medecin.annuaire.search(name="martin")                   # l'Annuaire Santé aussi
animateur.admin.clear("dmp")
medecin.insi.search(carte_vitale="0000000000")
medecin.dmp.add(ins_patiente, type="11488-4", class_code="10",
                title="CR de consultation (ressaisie après la panne)", text="Ressaisie de la fiche papier.")
medecin.dmp.search(ins_patiente)
print(f"Exercice joué : {bloques} tentatives bloquées par la panne.")
'''


def animer_exercice() -> NotebookBuilder:
    nb = NotebookBuilder("d6-02")
    nb.md(f'''
    # Crise cyber · Notebook 2 — Préparer, observer et analyser un exercice de crise

    Comme le notebook 1, cet exercice entraîne des compétences du domaine **D2 — La
    cybersécurité en santé**.

    **Compétences travaillées**
    - **D2.4** Réagir à un incident : alerter, contenir, déclarer (procédure de l'établissement,
      CERT régional et national), préserver les preuves
    - **D2.5** Continuer à soigner en mode dégradé : plans de continuité, procédures papier,
      reprise après restauration
    - **D2.3** Détecter une attaque : un courriel piège, un accès anormal dans une trace
      d'audit, un comportement inhabituel du système

    **Durée estimée : 2 h** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    Exécutez la cellule suivante. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    ''')
    nb.code(SETUP_DRILL)
    nb.md('''
    ## 1. Un exercice de crise, étape par étape
    Le guide de l'ANSSI sur les exercices de gestion de crise cyber décrit quatre temps :
    **concevoir** l'exercice (objectifs, périmètre, scénario), le **préparer** (stimuli,
    chronogramme, briefings des participants), le **jouer** (les **joueurs** réagissent, les
    **animateurs** envoient les stimuli, les **observateurs** notent ; du « début d'exercice » à
    la « fin d'exercice »), puis en tirer les **enseignements** (RETEX) et un plan d'action.
    ''')
    nb.md('''
    ## Exercice 1 — Dans le bon ordre, avec les bons rôles (15 min)
    1. Rangez dans `ordre_etapes` les lettres des étapes dans l'ordre chronologique :
       **A** jouer l'exercice ; **B** retour d'expérience et plan d'action ; **C** concevoir
       (objectifs, périmètre, scénario) ; **D** préparer (stimuli, chronogramme, briefings).
    2. Complétez `role` : qui fait quoi (`"joueur"`, `"animateur"` ou `"observateur"`) ?
    ''')
    nb.code('''
    missions = [
        "injecte la panne du DMP à l'heure prévue par le chronogramme",
        "applique la procédure papier dans le service",
        "note l'heure à laquelle le service a déclenché sa cellule de crise",
        "envoie un faux appel de journaliste pour tester la communication",
        "déclare l'incident (fictif) à la direction selon la procédure",
    ]
    ''')
    nb.answer("d6-02-etapes", '''
    ### BEGIN SOLUTION
    ordre_etapes = ["C", "D", "A", "B"]
    role = {
        missions[0]: "animateur",
        missions[1]: "joueur",
        missions[2]: "observateur",
        missions[3]: "animateur",
        missions[4]: "joueur",
    }
    ### END SOLUTION
    ''')
    nb.tests("d6-02-etapes-tests", '''
    assert sorted(ordre_etapes) == ["A", "B", "C", "D"], "Rangez les quatre lettres A, B, C, D."
    assert set(role) == set(missions), "Un rôle pour chaque mission."
    assert set(role.values()) <= {"joueur", "animateur", "observateur"}, "Rôles : joueur, animateur, observateur."
    ### BEGIN HIDDEN TESTS
    assert ordre_etapes == ["C", "D", "A", "B"]
    assert [role[m] for m in missions] == ["animateur", "joueur", "observateur", "animateur", "joueur"]
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.4"], minutes=15)
    nb.md('''
    ## Exercice 2 — Le chronogramme des stimuli (25 min)
    Le chronogramme liste les **stimuli** que les animateurs envoient, repérés par rapport au
    début d'exercice (« H » ; `H+01:30` = une heure et demie après). Écrivez
    `h_plus(debut, moment)` qui renvoie cette étiquette (`"H+00:00"`, `"H+01:30"`, `"H+12:05"`…,
    heures et minutes sur deux chiffres, secondes ignorées). Puis construisez `chronogramme` :
    le tableau `stimuli` trié par heure, avec une colonne `repere` calculée par `h_plus`.
    ''')
    nb.code('''
    DEBUT = pd.Timestamp("2026-11-18 09:00")
    stimuli = pd.DataFrame([
        ("2026-11-18 10:30", "appel du standard : « les écrans des urgences affichent une rançon »"),
        ("2026-11-18 09:00", "début d'exercice : briefing des joueurs"),
        ("2026-11-18 09:20", "courriel piège reçu par le secrétariat"),
        ("2026-11-18 11:45", "appel d'un journaliste local"),
        ("2026-11-18 13:00", "fin d'exercice"),
        ("2026-11-18 09:50", "le DMP et l'e-prescription deviennent indisponibles"),
    ], columns=["heure", "stimulus"])
    stimuli["heure"] = pd.to_datetime(stimuli["heure"])
    ''')
    nb.answer("d6-02-chronogramme", '''
    def h_plus(debut, moment) -> str:
        ### BEGIN SOLUTION
        minutes = int((moment - debut).total_seconds() // 60)
        return f"H+{minutes // 60:02d}:{minutes % 60:02d}"
        ### END SOLUTION


    ### BEGIN SOLUTION
    chronogramme = stimuli.sort_values("heure").reset_index(drop=True)
    chronogramme["repere"] = [h_plus(DEBUT, h) for h in chronogramme["heure"]]
    ### END SOLUTION
    chronogramme
    ''')
    nb.tests("d6-02-chronogramme-tests", '''
    assert h_plus(DEBUT, DEBUT) == "H+00:00", "Au début d'exercice : H+00:00."
    assert h_plus(DEBUT, pd.Timestamp("2026-11-18 10:30")) == "H+01:30"
    assert list(chronogramme["heure"]) == sorted(stimuli["heure"]), "Triez les stimuli par heure."
    ### BEGIN HIDDEN TESTS
    assert h_plus(DEBUT, pd.Timestamp("2026-11-18 21:05:59")) == "H+12:05"
    assert h_plus(DEBUT, pd.Timestamp("2026-11-19 09:07")) == "H+24:07"
    assert list(chronogramme["repere"]) == ["H+00:00", "H+00:20", "H+00:50", "H+01:30", "H+02:45", "H+04:00"]
    assert len(stimuli) == 6 and "repere" in chronogramme.columns
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.4"], minutes=25)
    nb.md('''
    ## 2. Observer ce que les joueurs ont fait
    Chaque action sur les services du bac à sable est un **événement** (qui, quoi, sur quoi,
    quand, avec quel résultat) : c'est aussi la **trace d'audit**, et c'est ce que l'animateur
    observe pendant l'exercice. La cellule suivante joue un mini-exercice ; l'animateur lit
    ensuite le flux d'événements (`animateur.admin.events()`).
    ''')
    nb.code(DRILL)
    nb.code('''
    evenements = pd.DataFrame(animateur.admin.events())
    evenements[["seq", "at", "service", "action", "persona", "outcome", "target"]].tail(10)
    ''')
    nb.md('''
    ## Exercice 3 — Pendant la panne (30 min)
    La fenêtre de panne du DMP commence au **dernier** événement `admin.fault.set` dont la
    cible est `service/dmp`, et se termine au **premier** `admin.fault.clear` de même cible qui
    le suit (repérez-les par leur numéro `seq`). Calculez :
    - `pendant` : les événements strictement entre les deux (par `seq`), sans ceux de
      l'animateur (`persona` différente de `"facilitateur"`) ;
    - `services_actifs_pendant` : l'ensemble des services utilisés pendant la panne ;
    - `reprise_dmp` : le `seq` du premier événement du service `dmp` réussi après la fin de
      la panne.
    ''')
    nb.answer("d6-02-pendant", '''
    ### BEGIN SOLUTION
    dmp = evenements[evenements["target"] == "service/dmp"]
    debut_panne = dmp[dmp["action"] == "admin.fault.set"]["seq"].max()
    fin_panne = dmp[(dmp["action"] == "admin.fault.clear") & (dmp["seq"] > debut_panne)]["seq"].min()
    fenetre = (evenements["seq"] > debut_panne) & (evenements["seq"] < fin_panne)
    pendant = evenements[fenetre & (evenements["persona"] != "facilitateur")]
    services_actifs_pendant = set(pendant["service"])
    apres = evenements[(evenements["seq"] > fin_panne) & (evenements["service"] == "dmp")
                       & (evenements["outcome"] == "success")]
    reprise_dmp = int(apres["seq"].min())
    ### END SOLUTION
    ''')
    nb.tests("d6-02-pendant-tests", '''
    assert "dmp" not in services_actifs_pendant, (
        "Pendant la panne, aucune action n'a pu aboutir dans le DMP : il ne doit pas figurer ici."
    )
    assert "insi" in services_actifs_pendant, "Le médecin a interrogé l'INSi pendant la panne."
    ### BEGIN HIDDEN TESTS
    e = evenements
    s_ = e[e["target"] == "service/dmp"]
    d = s_[s_["action"] == "admin.fault.set"]["seq"].max()
    f = s_[(s_["action"] == "admin.fault.clear") & (s_["seq"] > d)]["seq"].min()
    attendu = e[(e["seq"] > d) & (e["seq"] < f) & (e["persona"] != "facilitateur")]
    assert sorted(pendant["seq"]) == sorted(attendu["seq"])
    assert services_actifs_pendant == {"insi", "annuaire"}
    assert reprise_dmp == int(e[(e["seq"] > f) & (e["service"] == "dmp") & (e["outcome"] == "success")]["seq"].min())
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.5", "D2.3"], minutes=30)
    nb.md('''
    ## Exercice 4 — Le tableau de bord de l'animateur (25 min)
    Tracez avec matplotlib, dans une figure rangée dans `fig`, le **nombre d'événements par
    service** (diagramme en barres, un titre), sans compter ceux de l'animateur, et rangez ces
    nombres dans le dictionnaire `par_service` (`service -> nombre`).
    ''')
    nb.answer("d6-02-tableau", '''
    ### BEGIN SOLUTION
    joueurs = evenements[evenements["persona"] != "facilitateur"]
    par_service = joueurs["service"].value_counts().to_dict()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(list(par_service), list(par_service.values()))
    ax.set_title("Actions des joueurs par service")
    ax.set_ylabel("événements")
    ### END SOLUTION
    ''')
    nb.tests("d6-02-tableau-tests", '''
    assert isinstance(par_service, dict) and par_service, "`par_service` est un dictionnaire non vide."
    assert "admin" not in par_service, "Ne comptez pas les actions de l'animateur."
    assert fig.axes, "`fig` doit contenir un graphique."
    ### BEGIN HIDDEN TESTS
    j = evenements[evenements["persona"] != "facilitateur"]["service"].value_counts().to_dict()
    assert {k: int(v) for k, v in par_service.items()} == {k: int(v) for k, v in j.items()}
    assert sum(len(a.patches) for a in fig.axes) == len(j)
    assert any(a.get_title().strip() for a in fig.axes)
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.5"], minutes=25)
    nb.md('''
    ## Exercice 5 — Ce que la trace ne montre pas (20 min)
    Trois recherches du médecin dans le DMP ont échoué pendant la panne (`bloques`), mais elles
    n'apparaissent pas dans le flux d'événements du DMP. Pourquoi ? Qu'en déduisez-vous pour
    l'observation d'un exercice, et pour la conservation des preuves lors d'un vrai incident ?
    ''')
    nb.free_text("d6-02-angle-mort", rubric=[
        (1, "Explique : la requête est arrêtée avant d'atteindre le service (panne), qui ne "
            "l'enregistre donc pas ; seuls les systèmes qui ont vu passer l'action la tracent."),
        (1, "Observation : des observateurs humains et la main courante notent ce que la trace ne "
            "voit pas (tentatives, contournements, procédures papier, délais)."),
        (1, "Preuves : conserver aussi les journaux des autres équipements (postes, pare-feu, "
            "proxy), ne rien effacer ni éteindre, horodater les constats."),
    ], solution='''
    Les requêtes ont été arrêtées **avant** d'atteindre le DMP (la panne les refuse à l'entrée) :
    le service ne les a jamais traitées, il ne peut donc pas les tracer. Une trace d'audit ne
    montre que ce que le système a vu. Pendant un exercice, les **observateurs** et la **main
    courante** doivent donc noter les tentatives, les contournements, le passage au papier et
    les délais. Lors d'un vrai incident, il faut conserver **toutes** les sources de preuves
    (journaux des postes, du pare-feu, du proxy, messagerie), ne rien éteindre ni effacer, et
    horodater chaque constat pour reconstituer la chronologie avec le CERT Santé.
    ''', competencies=["D2.4"], minutes=20)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_rancongiciel_mode_degrade": mode_degrade(), "02_animer_exercice": animer_exercice()}
