//! The e-mails' messages (issue 9, `crate::mail`): `mail`, the status e-mails to a
//! complainant (ISO 10002 §7.3: keep the complainant informed; customer-facing words only,
//! the status sentences come from the public status page's `complaint_status`), and
//! `digest`, the daily digest to owners. Plain text; the same checks as every page.

type Pages = &'static [(&'static str, &'static [(&'static str, &'static str)])];

/// The e-mail messages in `lang`.
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

static EN: Pages = &[
    (
        "mail",
        &[
            (
                "subject_received",
                "We have received your complaint {reference}",
            ),
            ("subject_update", "Your complaint {reference}: an update"),
            ("subject_closed", "Your complaint {reference} is closed"),
            (
                "subject_reminder",
                "Your complaint {reference} is still being handled",
            ),
            ("greeting", "Hello,"),
            (
                "intro_received",
                "Thank you for telling us what went wrong. We have recorded your complaint under the reference {reference}.",
            ),
            (
                "intro_update",
                "There is news about your complaint {reference}.",
            ),
            (
                "intro_reminder",
                "Your complaint {reference} is still open. We have not forgotten it and are working on it.",
            ),
            ("status_now", "Where it stands: {status}"),
            (
                "history",
                "What has happened (times in the {zone} time zone):",
            ),
            (
                "next_update",
                "We will write to you when something changes, and at least every {days} days while your complaint is open.",
            ),
            ("link", "Follow your complaint at any time: {link}"),
            (
                "footer",
                "You receive this message because you made a complaint (reference {reference}).",
            ),
        ],
    ),
    (
        "digest",
        &[
            (
                "subject",
                "Complaints on {date}: {open} open, {late} past a deadline, {new} new",
            ),
            ("intro", "The complaints as of {time} ({zone})."),
            ("open", "Open complaints: {count}"),
            ("late", "Past a deadline: {count}"),
            ("due_today", "Due today: {count}"),
            ("new", "New since yesterday: {count}"),
            ("none", "none"),
            ("due", "due {time}"),
            ("more", "… and {count} more"),
            ("queue", "The queue: {link}"),
        ],
    ),
];

static ES: Pages = &[
    (
        "mail",
        &[
            ("subject_received", "Hemos recibido su queja {reference}"),
            ("subject_update", "Su queja {reference}: novedades"),
            ("subject_closed", "Su queja {reference} está cerrada"),
            (
                "subject_reminder",
                "Seguimos tramitando su queja {reference}",
            ),
            ("greeting", "Hola:"),
            (
                "intro_received",
                "Gracias por contarnos qué salió mal. Hemos registrado su queja con la referencia {reference}.",
            ),
            ("intro_update", "Hay novedades sobre su queja {reference}."),
            (
                "intro_reminder",
                "Su queja {reference} sigue abierta. No la hemos olvidado y estamos trabajando en ella.",
            ),
            ("status_now", "Situación actual: {status}"),
            ("history", "Lo ocurrido (horas en la zona horaria {zone}):"),
            (
                "next_update",
                "Le escribiremos cuando haya cambios y, como mínimo, cada {days} días mientras su queja esté abierta.",
            ),
            ("link", "Siga su queja en cualquier momento: {link}"),
            (
                "footer",
                "Recibe este mensaje porque presentó una queja (referencia {reference}).",
            ),
        ],
    ),
    (
        "digest",
        &[
            (
                "subject",
                "Quejas del {date}: {open} abiertas, {late} con plazo vencido, {new} nuevas",
            ),
            ("intro", "Las quejas a las {time} ({zone})."),
            ("open", "Quejas abiertas: {count}"),
            ("late", "Con plazo vencido: {count}"),
            ("due_today", "Vencen hoy: {count}"),
            ("new", "Nuevas desde ayer: {count}"),
            ("none", "ninguna"),
            ("due", "vence {time}"),
            ("more", "… y {count} más"),
            ("queue", "La cola: {link}"),
        ],
    ),
];

static PT: Pages = &[
    (
        "mail",
        &[
            ("subject_received", "Recebemos a sua reclamação {reference}"),
            ("subject_update", "A sua reclamação {reference}: novidades"),
            (
                "subject_closed",
                "A sua reclamação {reference} está encerrada",
            ),
            (
                "subject_reminder",
                "Continuamos a tratar a sua reclamação {reference}",
            ),
            ("greeting", "Olá,"),
            (
                "intro_received",
                "Obrigado por nos dizer o que correu mal. Registámos a sua reclamação com a referência {reference}.",
            ),
            (
                "intro_update",
                "Há novidades sobre a sua reclamação {reference}.",
            ),
            (
                "intro_reminder",
                "A sua reclamação {reference} continua aberta. Não a esquecemos e estamos a tratar dela.",
            ),
            ("status_now", "Situação atual: {status}"),
            ("history", "O que aconteceu (horas no fuso horário {zone}):"),
            (
                "next_update",
                "Escreveremos quando algo mudar e, pelo menos, a cada {days} dias enquanto a sua reclamação estiver aberta.",
            ),
            (
                "link",
                "Acompanhe a sua reclamação a qualquer momento: {link}",
            ),
            (
                "footer",
                "Recebe esta mensagem porque apresentou uma reclamação (referência {reference}).",
            ),
        ],
    ),
    (
        "digest",
        &[
            (
                "subject",
                "Reclamações de {date}: {open} abertas, {late} com prazo ultrapassado, {new} novas",
            ),
            ("intro", "As reclamações às {time} ({zone})."),
            ("open", "Reclamações abertas: {count}"),
            ("late", "Com prazo ultrapassado: {count}"),
            ("due_today", "Com prazo hoje: {count}"),
            ("new", "Novas desde ontem: {count}"),
            ("none", "nenhuma"),
            ("due", "prazo {time}"),
            ("more", "… e mais {count}"),
            ("queue", "A fila: {link}"),
        ],
    ),
];

static FI: Pages = &[
    (
        "mail",
        &[
            (
                "subject_received",
                "Olemme vastaanottaneet valituksesi {reference}",
            ),
            ("subject_update", "Valituksesi {reference}: uutta tietoa"),
            ("subject_closed", "Valituksesi {reference} on suljettu"),
            (
                "subject_reminder",
                "Valituksesi {reference} on yhä käsittelyssä",
            ),
            ("greeting", "Hei,"),
            (
                "intro_received",
                "Kiitos, että kerroit meille, mikä meni vikaan. Olemme kirjanneet valituksesi viitteellä {reference}.",
            ),
            (
                "intro_update",
                "Valituksestasi {reference} on uutta tietoa.",
            ),
            (
                "intro_reminder",
                "Valituksesi {reference} on yhä avoinna. Emme ole unohtaneet sitä, vaan työskentelemme sen parissa.",
            ),
            ("status_now", "Tilanne nyt: {status}"),
            (
                "history",
                "Mitä on tapahtunut (ajat aikavyöhykkeellä {zone}):",
            ),
            (
                "next_update",
                "Kirjoitamme sinulle, kun jokin muuttuu, ja vähintään {days} päivän välein niin kauan kuin valituksesi on avoinna.",
            ),
            ("link", "Voit seurata valitustasi milloin tahansa: {link}"),
            (
                "footer",
                "Saat tämän viestin, koska teit valituksen (viite {reference}).",
            ),
        ],
    ),
    (
        "digest",
        &[
            (
                "subject",
                "Valitukset {date}: {open} avoinna, {late} myöhässä, {new} uutta",
            ),
            ("intro", "Valitukset kello {time} ({zone})."),
            ("open", "Avoimet valitukset: {count}"),
            ("late", "Määräaika ylitetty: {count}"),
            ("due_today", "Määräaika tänään: {count}"),
            ("new", "Uudet eilisen jälkeen: {count}"),
            ("none", "ei yhtään"),
            ("due", "määräaika {time}"),
            ("more", "… ja {count} muuta"),
            ("queue", "Jono: {link}"),
        ],
    ),
];

static DE: Pages = &[
    (
        "mail",
        &[
            (
                "subject_received",
                "Wir haben Ihre Beschwerde {reference} erhalten",
            ),
            ("subject_update", "Ihre Beschwerde {reference}: Neuigkeiten"),
            (
                "subject_closed",
                "Ihre Beschwerde {reference} ist abgeschlossen",
            ),
            (
                "subject_reminder",
                "Ihre Beschwerde {reference} wird weiter bearbeitet",
            ),
            ("greeting", "Guten Tag,"),
            (
                "intro_received",
                "Danke, dass Sie uns gesagt haben, was schiefgelaufen ist. Wir haben Ihre Beschwerde unter der Referenz {reference} erfasst.",
            ),
            (
                "intro_update",
                "Es gibt Neuigkeiten zu Ihrer Beschwerde {reference}.",
            ),
            (
                "intro_reminder",
                "Ihre Beschwerde {reference} ist noch offen. Wir haben sie nicht vergessen und arbeiten daran.",
            ),
            ("status_now", "Der aktuelle Stand: {status}"),
            (
                "history",
                "Was bisher geschah (Zeiten in der Zeitzone {zone}):",
            ),
            (
                "next_update",
                "Wir schreiben Ihnen, sobald sich etwas ändert, und mindestens alle {days} Tage, solange Ihre Beschwerde offen ist.",
            ),
            ("link", "Verfolgen Sie Ihre Beschwerde jederzeit: {link}"),
            (
                "footer",
                "Sie erhalten diese Nachricht, weil Sie eine Beschwerde eingereicht haben (Referenz {reference}).",
            ),
        ],
    ),
    (
        "digest",
        &[
            (
                "subject",
                "Beschwerden am {date}: {open} offen, {late} mit überschrittener Frist, {new} neu",
            ),
            ("intro", "Die Beschwerden um {time} ({zone})."),
            ("open", "Offene Beschwerden: {count}"),
            ("late", "Frist überschritten: {count}"),
            ("due_today", "Heute fällig: {count}"),
            ("new", "Neu seit gestern: {count}"),
            ("none", "keine"),
            ("due", "fällig {time}"),
            ("more", "… und {count} weitere"),
            ("queue", "Die Warteschlange: {link}"),
        ],
    ),
];

static FR: Pages = &[
    (
        "mail",
        &[
            (
                "subject_received",
                "Nous avons reçu votre réclamation {reference}",
            ),
            (
                "subject_update",
                "Votre réclamation {reference} : du nouveau",
            ),
            ("subject_closed", "Votre réclamation {reference} est close"),
            (
                "subject_reminder",
                "Votre réclamation {reference} est toujours en cours de traitement",
            ),
            ("greeting", "Bonjour,"),
            (
                "intro_received",
                "Merci de nous avoir dit ce qui n’allait pas. Nous avons enregistré votre réclamation sous la référence {reference}.",
            ),
            (
                "intro_update",
                "Il y a du nouveau concernant votre réclamation {reference}.",
            ),
            (
                "intro_reminder",
                "Votre réclamation {reference} est toujours ouverte. Nous ne l’avons pas oubliée et nous y travaillons.",
            ),
            ("status_now", "État actuel : {status}"),
            (
                "history",
                "Ce qui s’est passé (heures dans le fuseau horaire {zone}) :",
            ),
            (
                "next_update",
                "Nous vous écrirons dès que quelque chose change, et au moins tous les {days} jours tant que votre réclamation est ouverte.",
            ),
            ("link", "Suivez votre réclamation à tout moment : {link}"),
            (
                "footer",
                "Vous recevez ce message parce que vous avez fait une réclamation (référence {reference}).",
            ),
        ],
    ),
    (
        "digest",
        &[
            (
                "subject",
                "Réclamations du {date} : {open} ouvertes, {late} en retard, {new} nouvelles",
            ),
            ("intro", "Les réclamations à {time} ({zone})."),
            ("open", "Réclamations ouvertes : {count}"),
            ("late", "Délai dépassé : {count}"),
            ("due_today", "Échéance aujourd’hui : {count}"),
            ("new", "Nouvelles depuis hier : {count}"),
            ("none", "aucune"),
            ("due", "échéance {time}"),
            ("more", "… et {count} de plus"),
            ("queue", "La file : {link}"),
        ],
    ),
];
