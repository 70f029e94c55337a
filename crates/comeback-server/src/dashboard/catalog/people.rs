//! Messages of the staff flags and the account–employee links (issues 8 and 9), kept apart
//! from the per-language files: the pages `flag` (the quick form, whose texts the
//! customer page's flag form reads too) and `users` (the admin's accounts page), and
//! [`extras`]: keys these features add to existing pages (`layout`'s navigation,
//! `customer`, `report_cards`), merged into those pages' tables by [`super::table`] and
//! [`super::message`]. The tests below hold the extras to the same rules as every page.

type Pages = &'static [(&'static str, &'static [(&'static str, &'static str)])];

/// The `flag` and `users` pages in `lang`.
pub(super) fn pages(lang: comeback_report::Lang) -> Pages {
    use comeback_report::Lang;
    match lang {
        Lang::En => EN,
        Lang::Es => ES,
        Lang::Pt => PT,
        Lang::Fi => FI,
        Lang::De => DE,
        Lang::Fr => FR,
    }
}

/// The keys added to existing pages, in `lang`.
pub(super) fn extras(lang: comeback_report::Lang) -> Pages {
    use comeback_report::Lang;
    match lang {
        Lang::En => EN_EXTRA,
        Lang::Es => ES_EXTRA,
        Lang::Pt => PT_EXTRA,
        Lang::Fi => FI_EXTRA,
        Lang::De => DE_EXTRA,
        Lang::Fr => FR_EXTRA,
    }
}

/// The keys `page` gets from [`extras`] in `lang` (empty for most pages).
pub(super) fn extra(
    lang: comeback_report::Lang,
    page: &str,
) -> &'static [(&'static str, &'static str)] {
    extras(lang)
        .iter()
        .find(|(p, _)| *p == page)
        .map_or(&[], |(_, m)| m)
}

static EN: Pages = &[
    (
        "flag",
        &[
            ("title", "Flag an unhappy customer"),
            (
                "intro",
                "Noticed a customer who is unhappy? Flag them: the flag opens a complaint in the recovery queue so that someone follows up, and it is credited to you on your report card.",
            ),
            ("customer", "Customer (id or e-mail address)"),
            (
                "customer_help",
                "The customer's id, or the e-mail address stored for them.",
            ),
            ("reason", "Why do they seem unhappy?"),
            ("choose", "Choose…"),
            ("r_quality", "The quality of a product or service"),
            ("r_inadequate_response", "How they were served"),
            ("r_broken_promise", "A promise we did not keep"),
            ("r_price", "The price"),
            (
                "r_unresolved_complaint",
                "An earlier complaint we did not resolve",
            ),
            ("r_competitor_offer", "A better offer elsewhere"),
            ("r_general_dissatisfaction", "General dissatisfaction"),
            ("note", "What did you notice?"),
            ("note_help", "At most {max} characters."),
            ("location", "Location"),
            ("location_default", "The employee's usual location"),
            ("employee", "Credit to employee"),
            ("employee_own", "My own employee link"),
            ("submit", "Flag as unhappy"),
            (
                "done",
                "Flag recorded: complaint {reference} is in the recovery queue.",
            ),
            ("open_complaint", "Open the complaint"),
            (
                "unlinked",
                "Your account is not linked to an employee, so a flag cannot be credited to you. Ask an admin to link it on the users page.",
            ),
            (
                "not_found",
                "No customer with this id or e-mail address among the customers you can see.",
            ),
            (
                "ambiguous",
                "Several customers have this e-mail address: enter the customer id instead.",
            ),
            ("error", "The flag was not recorded: {message}"),
        ],
    ),
    (
        "users",
        &[
            ("title", "Users"),
            (
                "intro",
                "The accounts and the employee each one belongs to. A staff member linked to an employee sees that employee's report card, and the customers they flag as unhappy are credited to that employee.",
            ),
            ("col_email", "E-mail"),
            ("col_role", "Role"),
            ("col_locations", "Locations"),
            ("col_employee", "Employee"),
            ("role_admin", "Admin"),
            ("role_manager", "Manager"),
            ("role_staff", "Staff"),
            ("not_linked", "Not linked"),
            ("save", "Save"),
            ("saved", "Saved: {email} is linked to {employee}."),
            (
                "unlinked_saved",
                "Saved: {email} is not linked to an employee.",
            ),
            ("error", "Not saved: {message}"),
            (
                "no_employees",
                "No employees are stored yet. They are added by transactions that name an employee.",
            ),
        ],
    ),
];

static EN_EXTRA: Pages = &[
    ("complaint", &[("flagged_by", "Flagged as unhappy by")]),
    (
        "layout",
        &[("nav_flag", "Flag a customer"), ("nav_users", "Users")],
    ),
    (
        "customer",
        &[
            ("flag_h", "Flag as unhappy"),
            (
                "staff_flag",
                "Flagged as unhappy by {employee}: {reason} — complaint {reference} ({status})",
            ),
            (
                "flagged",
                "Flag recorded: complaint {reference} is in the recovery queue.",
            ),
        ],
    ),
    (
        "report_cards",
        &[
            ("col_flags", "Flags"),
            (
                "unlinked",
                "Your account is not linked to an employee, so there is no report card to show you. Ask an admin to link it on the users page.",
            ),
            (
                "flags_note",
                "Flags: customers the employee flagged as unhappy this month at this location (each opened a complaint). An employee who flagged but was not rated has a row without ratings.",
            ),
        ],
    ),
];

static ES: Pages = &[
    (
        "flag",
        &[
            ("title", "Señalar a un cliente descontento"),
            (
                "intro",
                "¿Ha notado a un cliente descontento? Señálelo: el aviso abre una queja en la cola de recuperación para que alguien le dé seguimiento, y se le reconoce en su boletín de servicio.",
            ),
            ("customer", "Cliente (id o correo electrónico)"),
            (
                "customer_help",
                "El id del cliente, o el correo electrónico que tenemos registrado.",
            ),
            ("reason", "¿Por qué parece descontento?"),
            ("choose", "Elija…"),
            ("r_quality", "La calidad de un producto o servicio"),
            ("r_inadequate_response", "Cómo se le atendió"),
            ("r_broken_promise", "Una promesa que no cumplimos"),
            ("r_price", "El precio"),
            (
                "r_unresolved_complaint",
                "Una queja anterior que no resolvimos",
            ),
            ("r_competitor_offer", "Una oferta mejor en otro sitio"),
            ("r_general_dissatisfaction", "Insatisfacción general"),
            ("note", "¿Qué ha notado?"),
            ("note_help", "Como máximo {max} caracteres."),
            ("location", "Ubicación"),
            ("location_default", "La ubicación habitual del empleado"),
            ("employee", "Reconocer al empleado"),
            ("employee_own", "Mi propio empleado vinculado"),
            ("submit", "Señalar como descontento"),
            (
                "done",
                "Aviso registrado: la queja {reference} está en la cola de recuperación.",
            ),
            ("open_complaint", "Abrir la queja"),
            (
                "unlinked",
                "Su cuenta no está vinculada a un empleado, así que el aviso no se le puede reconocer. Pida a un administrador que la vincule en la página de usuarios.",
            ),
            (
                "not_found",
                "Ningún cliente con este id o correo electrónico entre los clientes que puede ver.",
            ),
            (
                "ambiguous",
                "Varios clientes tienen este correo electrónico: escriba el id del cliente.",
            ),
            ("error", "El aviso no se registró: {message}"),
        ],
    ),
    (
        "users",
        &[
            ("title", "Usuarios"),
            (
                "intro",
                "Las cuentas y el empleado al que pertenece cada una. Un miembro del personal vinculado a un empleado ve el boletín de ese empleado, y los clientes que señala como descontentos se le reconocen a ese empleado.",
            ),
            ("col_email", "Correo electrónico"),
            ("col_role", "Rol"),
            ("col_locations", "Ubicaciones"),
            ("col_employee", "Empleado"),
            ("role_admin", "Administrador"),
            ("role_manager", "Responsable"),
            ("role_staff", "Personal"),
            ("not_linked", "Sin vincular"),
            ("save", "Guardar"),
            ("saved", "Guardado: {email} está vinculado a {employee}."),
            (
                "unlinked_saved",
                "Guardado: {email} no está vinculado a ningún empleado.",
            ),
            ("error", "No se guardó: {message}"),
            (
                "no_employees",
                "Aún no hay empleados registrados. Se añaden con las transacciones que indican un empleado.",
            ),
        ],
    ),
];

static ES_EXTRA: Pages = &[
    (
        "complaint",
        &[("flagged_by", "Señalado como descontento por")],
    ),
    (
        "layout",
        &[
            ("nav_flag", "Señalar a un cliente"),
            ("nav_users", "Usuarios"),
        ],
    ),
    (
        "customer",
        &[
            ("flag_h", "Señalar como descontento"),
            (
                "staff_flag",
                "Señalado como descontento por {employee}: {reason} — queja {reference} ({status})",
            ),
            (
                "flagged",
                "Aviso registrado: la queja {reference} está en la cola de recuperación.",
            ),
        ],
    ),
    (
        "report_cards",
        &[
            ("col_flags", "Avisos"),
            (
                "unlinked",
                "Su cuenta no está vinculada a un empleado, así que no hay boletín que mostrarle. Pida a un administrador que la vincule en la página de usuarios.",
            ),
            (
                "flags_note",
                "Avisos: clientes que el empleado señaló como descontentos este mes en esta ubicación (cada uno abrió una queja). Un empleado que señaló clientes pero no fue valorado tiene una fila sin valoraciones.",
            ),
        ],
    ),
];

static PT: Pages = &[
    (
        "flag",
        &[
            ("title", "Assinalar um cliente descontente"),
            (
                "intro",
                "Reparou num cliente descontente? Assinale-o: o alerta abre uma reclamação na fila de recuperação para que alguém dê seguimento, e é-lhe creditado no seu boletim de serviço.",
            ),
            ("customer", "Cliente (id ou endereço de e-mail)"),
            (
                "customer_help",
                "O id do cliente, ou o endereço de e-mail registado para ele.",
            ),
            ("reason", "Porque parece descontente?"),
            ("choose", "Escolha…"),
            ("r_quality", "A qualidade de um produto ou serviço"),
            ("r_inadequate_response", "Como foi atendido"),
            ("r_broken_promise", "Uma promessa que não cumprimos"),
            ("r_price", "O preço"),
            (
                "r_unresolved_complaint",
                "Uma reclamação anterior que não resolvemos",
            ),
            ("r_competitor_offer", "Uma oferta melhor noutro lado"),
            ("r_general_dissatisfaction", "Insatisfação geral"),
            ("note", "O que reparou?"),
            ("note_help", "No máximo {max} caracteres."),
            ("location", "Local"),
            ("location_default", "O local habitual do colaborador"),
            ("employee", "Creditar ao colaborador"),
            ("employee_own", "O meu próprio colaborador associado"),
            ("submit", "Assinalar como descontente"),
            (
                "done",
                "Alerta registado: a reclamação {reference} está na fila de recuperação.",
            ),
            ("open_complaint", "Abrir a reclamação"),
            (
                "unlinked",
                "A sua conta não está associada a um colaborador, por isso o alerta não lhe pode ser creditado. Peça a um administrador que a associe na página de utilizadores.",
            ),
            (
                "not_found",
                "Nenhum cliente com este id ou endereço de e-mail entre os clientes que pode ver.",
            ),
            (
                "ambiguous",
                "Vários clientes têm este endereço de e-mail: introduza o id do cliente.",
            ),
            ("error", "O alerta não foi registado: {message}"),
        ],
    ),
    (
        "users",
        &[
            ("title", "Utilizadores"),
            (
                "intro",
                "As contas e o colaborador a que cada uma pertence. Um membro da equipa associado a um colaborador vê o boletim desse colaborador, e os clientes que assinala como descontentes são creditados a esse colaborador.",
            ),
            ("col_email", "Endereço de e-mail"),
            ("col_role", "Função"),
            ("col_locations", "Locais"),
            ("col_employee", "Colaborador"),
            ("role_admin", "Administrador"),
            ("role_manager", "Gestor"),
            ("role_staff", "Equipa"),
            ("not_linked", "Sem associação"),
            ("save", "Guardar"),
            ("saved", "Guardado: {email} está associado a {employee}."),
            (
                "unlinked_saved",
                "Guardado: {email} não está associado a nenhum colaborador.",
            ),
            ("error", "Não guardado: {message}"),
            (
                "no_employees",
                "Ainda não há colaboradores registados. São adicionados pelas transações que indicam um colaborador.",
            ),
        ],
    ),
];

static PT_EXTRA: Pages = &[
    (
        "complaint",
        &[("flagged_by", "Assinalado como descontente por")],
    ),
    (
        "layout",
        &[
            ("nav_flag", "Assinalar um cliente"),
            ("nav_users", "Utilizadores"),
        ],
    ),
    (
        "customer",
        &[
            ("flag_h", "Assinalar como descontente"),
            (
                "staff_flag",
                "Assinalado como descontente por {employee}: {reason} — reclamação {reference} ({status})",
            ),
            (
                "flagged",
                "Alerta registado: a reclamação {reference} está na fila de recuperação.",
            ),
        ],
    ),
    (
        "report_cards",
        &[
            ("col_flags", "Alertas"),
            (
                "unlinked",
                "A sua conta não está associada a um colaborador, por isso não há boletim para lhe mostrar. Peça a um administrador que a associe na página de utilizadores.",
            ),
            (
                "flags_note",
                "Alertas: clientes que o colaborador assinalou como descontentes este mês neste local (cada um abriu uma reclamação). Um colaborador que assinalou clientes mas não foi avaliado tem uma linha sem avaliações.",
            ),
        ],
    ),
];

static FI: Pages = &[
    (
        "flag",
        &[
            ("title", "Merkitse tyytymätön asiakas"),
            (
                "intro",
                "Huomasitko tyytymättömän asiakkaan? Merkitse hänet: merkintä avaa valituksen palautusjonoon, jotta joku ottaa asian hoitaakseen, ja se hyvitetään sinulle palvelutodistuksessasi.",
            ),
            ("customer", "Asiakas (tunnus tai sähköpostiosoite)"),
            (
                "customer_help",
                "Asiakkaan tunnus tai hänelle tallennettu sähköpostiosoite.",
            ),
            ("reason", "Miksi hän vaikuttaa tyytymättömältä?"),
            ("choose", "Valitse…"),
            ("r_quality", "Tuotteen tai palvelun laatu"),
            ("r_inadequate_response", "Miten häntä palveltiin"),
            ("r_broken_promise", "Lupaus, jota emme pitäneet"),
            ("r_price", "Hinta"),
            (
                "r_unresolved_complaint",
                "Aiempi valitus, jota emme ratkaisseet",
            ),
            ("r_competitor_offer", "Parempi tarjous muualla"),
            ("r_general_dissatisfaction", "Yleinen tyytymättömyys"),
            ("note", "Mitä huomasit?"),
            ("note_help", "Enintään {max} merkkiä."),
            ("location", "Toimipiste"),
            ("location_default", "Työntekijän tavallinen toimipiste"),
            ("employee", "Hyvitä työntekijälle"),
            ("employee_own", "Oma linkitetty työntekijäni"),
            ("submit", "Merkitse tyytymättömäksi"),
            (
                "done",
                "Merkintä tallennettu: valitus {reference} on palautusjonossa.",
            ),
            ("open_complaint", "Avaa valitus"),
            (
                "unlinked",
                "Tiliäsi ei ole linkitetty työntekijään, joten merkintää ei voi hyvittää sinulle. Pyydä ylläpitäjää linkittämään se käyttäjäsivulla.",
            ),
            (
                "not_found",
                "Näkemiesi asiakkaiden joukossa ei ole asiakasta tällä tunnuksella tai sähköpostiosoitteella.",
            ),
            (
                "ambiguous",
                "Usealla asiakkaalla on tämä sähköpostiosoite: anna asiakkaan tunnus.",
            ),
            ("error", "Merkintää ei tallennettu: {message}"),
        ],
    ),
    (
        "users",
        &[
            ("title", "Käyttäjät"),
            (
                "intro",
                "Tilit ja työntekijä, jolle kukin kuuluu. Työntekijään linkitetty henkilökunnan jäsen näkee tämän työntekijän palvelutodistuksen, ja hänen tyytymättömiksi merkitsemänsä asiakkaat hyvitetään tälle työntekijälle.",
            ),
            ("col_email", "Sähköposti"),
            ("col_role", "Rooli"),
            ("col_locations", "Toimipisteet"),
            ("col_employee", "Työntekijä"),
            ("role_admin", "Ylläpitäjä"),
            ("role_manager", "Esihenkilö"),
            ("role_staff", "Henkilökunta"),
            ("not_linked", "Ei linkitetty"),
            ("save", "Tallenna"),
            (
                "saved",
                "Tallennettu: {email} on linkitetty työntekijään {employee}.",
            ),
            (
                "unlinked_saved",
                "Tallennettu: {email} ei ole linkitetty työntekijään.",
            ),
            ("error", "Ei tallennettu: {message}"),
            (
                "no_employees",
                "Työntekijöitä ei ole vielä tallennettu. Ne lisätään tapahtumista, joissa on työntekijä.",
            ),
        ],
    ),
];

static FI_EXTRA: Pages = &[
    ("complaint", &[("flagged_by", "Tyytymättömäksi merkinnyt")]),
    (
        "layout",
        &[("nav_flag", "Merkitse asiakas"), ("nav_users", "Käyttäjät")],
    ),
    (
        "customer",
        &[
            ("flag_h", "Merkitse tyytymättömäksi"),
            (
                "staff_flag",
                "{employee} merkitsi tyytymättömäksi: {reason} — valitus {reference} ({status})",
            ),
            (
                "flagged",
                "Merkintä tallennettu: valitus {reference} on palautusjonossa.",
            ),
        ],
    ),
    (
        "report_cards",
        &[
            ("col_flags", "Merkinnät"),
            (
                "unlinked",
                "Tiliäsi ei ole linkitetty työntekijään, joten näytettävää palvelutodistusta ei ole. Pyydä ylläpitäjää linkittämään se käyttäjäsivulla.",
            ),
            (
                "flags_note",
                "Merkinnät: asiakkaat, jotka työntekijä merkitsi tyytymättömiksi tässä kuussa tässä toimipisteessä (kukin avasi valituksen). Työntekijällä, joka teki merkintöjä mutta jota ei arvioitu, on rivi ilman arvioita.",
            ),
        ],
    ),
];

static DE: Pages = &[
    (
        "flag",
        &[
            ("title", "Unzufriedenen Kunden melden"),
            (
                "intro",
                "Ist Ihnen ein unzufriedener Kunde aufgefallen? Melden Sie ihn: Die Meldung eröffnet eine Beschwerde in der Wiedergutmachungs-Warteschlange, damit sich jemand darum kümmert, und wird Ihnen in Ihrem Servicezeugnis angerechnet.",
            ),
            ("customer", "Kunde (ID oder E-Mail-Adresse)"),
            (
                "customer_help",
                "Die ID des Kunden oder die für ihn gespeicherte E-Mail-Adresse.",
            ),
            ("reason", "Warum wirkt er unzufrieden?"),
            ("choose", "Bitte wählen…"),
            (
                "r_quality",
                "Die Qualität eines Produkts oder einer Leistung",
            ),
            ("r_inadequate_response", "Wie er bedient wurde"),
            (
                "r_broken_promise",
                "Ein Versprechen, das wir nicht gehalten haben",
            ),
            ("r_price", "Der Preis"),
            (
                "r_unresolved_complaint",
                "Eine frühere Beschwerde, die wir nicht gelöst haben",
            ),
            ("r_competitor_offer", "Ein besseres Angebot anderswo"),
            ("r_general_dissatisfaction", "Allgemeine Unzufriedenheit"),
            ("note", "Was ist Ihnen aufgefallen?"),
            ("note_help", "Höchstens {max} Zeichen."),
            ("location", "Standort"),
            ("location_default", "Der übliche Standort des Mitarbeiters"),
            ("employee", "Mitarbeiter, dem sie angerechnet wird"),
            ("employee_own", "Mein eigener verknüpfter Mitarbeiter"),
            ("submit", "Als unzufrieden melden"),
            (
                "done",
                "Meldung gespeichert: Beschwerde {reference} ist in der Wiedergutmachungs-Warteschlange.",
            ),
            ("open_complaint", "Beschwerde öffnen"),
            (
                "unlinked",
                "Ihr Konto ist mit keinem Mitarbeiter verknüpft, daher kann Ihnen eine Meldung nicht angerechnet werden. Bitten Sie einen Administrator, es auf der Benutzerseite zu verknüpfen.",
            ),
            (
                "not_found",
                "Unter den Kunden, die Sie sehen dürfen, gibt es keinen mit dieser ID oder E-Mail-Adresse.",
            ),
            (
                "ambiguous",
                "Mehrere Kunden haben diese E-Mail-Adresse: Geben Sie stattdessen die Kunden-ID ein.",
            ),
            ("error", "Die Meldung wurde nicht gespeichert: {message}"),
        ],
    ),
    (
        "users",
        &[
            ("title", "Benutzer"),
            (
                "intro",
                "Die Konten und der Mitarbeiter, zu dem jedes gehört. Ein mit einem Mitarbeiter verknüpftes Teammitglied sieht dessen Servicezeugnis, und die Kunden, die es als unzufrieden meldet, werden diesem Mitarbeiter angerechnet.",
            ),
            ("col_email", "E-Mail"),
            ("col_role", "Rolle"),
            ("col_locations", "Standorte"),
            ("col_employee", "Mitarbeiter"),
            ("role_admin", "Administrator"),
            ("role_manager", "Leitung"),
            ("role_staff", "Team"),
            ("not_linked", "Nicht verknüpft"),
            ("save", "Speichern"),
            (
                "saved",
                "Gespeichert: {email} ist mit {employee} verknüpft.",
            ),
            (
                "unlinked_saved",
                "Gespeichert: {email} ist mit keinem Mitarbeiter verknüpft.",
            ),
            ("error", "Nicht gespeichert: {message}"),
            (
                "no_employees",
                "Es sind noch keine Mitarbeiter gespeichert. Sie kommen mit Transaktionen, die einen Mitarbeiter nennen.",
            ),
        ],
    ),
];

static DE_EXTRA: Pages = &[
    (
        "complaint",
        &[("flagged_by", "Als unzufrieden gemeldet von")],
    ),
    (
        "layout",
        &[("nav_flag", "Kunden melden"), ("nav_users", "Benutzer")],
    ),
    (
        "customer",
        &[
            ("flag_h", "Als unzufrieden melden"),
            (
                "staff_flag",
                "Von {employee} als unzufrieden gemeldet: {reason} — Beschwerde {reference} ({status})",
            ),
            (
                "flagged",
                "Meldung gespeichert: Beschwerde {reference} ist in der Wiedergutmachungs-Warteschlange.",
            ),
        ],
    ),
    (
        "report_cards",
        &[
            ("col_flags", "Meldungen"),
            (
                "unlinked",
                "Ihr Konto ist mit keinem Mitarbeiter verknüpft, daher gibt es kein Servicezeugnis für Sie. Bitten Sie einen Administrator, es auf der Benutzerseite zu verknüpfen.",
            ),
            (
                "flags_note",
                "Meldungen: Kunden, die der Mitarbeiter diesen Monat an diesem Standort als unzufrieden gemeldet hat (jede eröffnete eine Beschwerde). Wer gemeldet hat, aber nicht bewertet wurde, hat eine Zeile ohne Bewertungen.",
            ),
        ],
    ),
];

static FR: Pages = &[
    (
        "flag",
        &[
            ("title", "Signaler un client mécontent"),
            (
                "intro",
                "Vous avez remarqué un client mécontent ? Signalez-le : le signalement ouvre une réclamation dans la file de reconquête pour que quelqu'un assure le suivi, et il vous est crédité sur votre bulletin de service.",
            ),
            ("customer", "Client (identifiant ou adresse e-mail)"),
            (
                "customer_help",
                "L'identifiant du client, ou l'adresse e-mail enregistrée pour lui.",
            ),
            ("reason", "Pourquoi semble-t-il mécontent ?"),
            ("choose", "Choisir…"),
            ("r_quality", "La qualité d'un produit ou d'un service"),
            ("r_inadequate_response", "La façon dont il a été servi"),
            ("r_broken_promise", "Une promesse non tenue"),
            ("r_price", "Le prix"),
            (
                "r_unresolved_complaint",
                "Une réclamation précédente non résolue",
            ),
            ("r_competitor_offer", "Une meilleure offre ailleurs"),
            ("r_general_dissatisfaction", "Insatisfaction générale"),
            ("note", "Qu'avez-vous remarqué ?"),
            ("note_help", "{max} caractères au plus."),
            ("location", "Site"),
            ("location_default", "Le site habituel de l'employé"),
            ("employee", "Créditer l'employé"),
            ("employee_own", "Mon propre employé lié"),
            ("submit", "Signaler comme mécontent"),
            (
                "done",
                "Signalement enregistré : la réclamation {reference} est dans la file de reconquête.",
            ),
            ("open_complaint", "Ouvrir la réclamation"),
            (
                "unlinked",
                "Votre compte n'est lié à aucun employé : un signalement ne peut donc pas vous être crédité. Demandez à un administrateur de le lier sur la page des utilisateurs.",
            ),
            (
                "not_found",
                "Aucun client avec cet identifiant ou cette adresse e-mail parmi les clients que vous pouvez voir.",
            ),
            (
                "ambiguous",
                "Plusieurs clients ont cette adresse e-mail : saisissez plutôt l'identifiant du client.",
            ),
            ("error", "Le signalement n'a pas été enregistré : {message}"),
        ],
    ),
    (
        "users",
        &[
            ("title", "Utilisateurs"),
            (
                "intro",
                "Les comptes et l'employé auquel chacun appartient. Un membre du personnel lié à un employé voit le bulletin de cet employé, et les clients qu'il signale comme mécontents sont crédités à cet employé.",
            ),
            ("col_email", "Adresse e-mail"),
            ("col_role", "Rôle"),
            ("col_locations", "Sites"),
            ("col_employee", "Employé"),
            ("role_admin", "Administrateur"),
            ("role_manager", "Responsable"),
            ("role_staff", "Personnel"),
            ("not_linked", "Non lié"),
            ("save", "Enregistrer"),
            ("saved", "Enregistré : {email} est lié à {employee}."),
            (
                "unlinked_saved",
                "Enregistré : {email} n'est lié à aucun employé.",
            ),
            ("error", "Non enregistré : {message}"),
            (
                "no_employees",
                "Aucun employé n'est encore enregistré. Ils sont ajoutés par les transactions qui nomment un employé.",
            ),
        ],
    ),
];

static FR_EXTRA: Pages = &[
    (
        "complaint",
        &[("flagged_by", "Signalé comme mécontent par")],
    ),
    (
        "layout",
        &[
            ("nav_flag", "Signaler un client"),
            ("nav_users", "Utilisateurs"),
        ],
    ),
    (
        "customer",
        &[
            ("flag_h", "Signaler comme mécontent"),
            (
                "staff_flag",
                "Signalé comme mécontent par {employee} : {reason} — réclamation {reference} ({status})",
            ),
            (
                "flagged",
                "Signalement enregistré : la réclamation {reference} est dans la file de reconquête.",
            ),
        ],
    ),
    (
        "report_cards",
        &[
            ("col_flags", "Signalements"),
            (
                "unlinked",
                "Votre compte n'est lié à aucun employé : il n'y a donc pas de bulletin à vous montrer. Demandez à un administrateur de le lier sur la page des utilisateurs.",
            ),
            (
                "flags_note",
                "Signalements : clients que l'employé a signalés comme mécontents ce mois-ci sur ce site (chacun a ouvert une réclamation). Un employé qui a signalé sans être évalué a une ligne sans évaluations.",
            ),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use comeback_report::Lang;

    use super::*;

    fn placeholders(s: &str) -> Vec<&str> {
        let mut out: Vec<&str> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(name, _)| name))
            .collect();
        out.sort_unstable();
        out
    }

    /// The extras follow the rules of every page: the same keys in every language with
    /// the same placeholders, none empty, none already a key of the page it extends, and
    /// translated.
    #[test]
    fn extras_are_complete_translated_and_new() {
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            assert_eq!(extras(lang).len(), extras(Lang::En).len(), "{lang}");
            for (page, en) in extras(Lang::En) {
                let other: BTreeMap<_, _> = extra(lang, page).iter().copied().collect();
                if other.len() != extra(lang, page).len() {
                    problems.push(format!("{lang}/{page}: a key appears twice"));
                }
                for (k, v) in *en {
                    if other
                        .get(k)
                        .is_some_and(|o| placeholders(o) != placeholders(v))
                    {
                        problems.push(format!("{lang}/{page}/{k}: placeholders differ"));
                    }
                    match other.get(k) {
                        None => problems.push(format!("{lang}/{page}: missing extra {k}")),
                        Some(o) if o.trim().is_empty() => {
                            problems.push(format!("{lang}/{page}/{k}: empty"));
                        }
                        Some(o) if lang != Lang::En && o == v => {
                            problems.push(format!("{lang}/{page}/{k}: untranslated"));
                        }
                        Some(_) => {}
                    }
                    if super::super::page_messages(lang, page)
                        .iter()
                        .any(|(b, _)| b == k)
                    {
                        problems.push(format!("{lang}/{page}/{k}: already a key of the page"));
                    }
                }
                for k in other.keys() {
                    if !en.iter().any(|(e, _)| e == k) {
                        problems.push(format!("{lang}/{page}: extra {k} unknown in English"));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn extras_reach_the_page_tables() {
        assert_eq!(
            super::super::message(Lang::Fi, "report_cards", "col_flags", &[]),
            "Merkinnät"
        );
        assert_eq!(
            super::super::table(Lang::De, "overview").get("nav_users"),
            Some(&"Benutzer")
        );
        assert_eq!(
            super::super::message(Lang::Es, "customer", "flagged", &[("reference", "CB-1")]),
            "Aviso registrado: la queja CB-1 está en la cola de recuperación."
        );
    }
}
