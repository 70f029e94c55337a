//! Header names recognised without explicit column options.
//!
//! Matching is case-insensitive and ignores spaces, `_`, `-`, `.`, `/`, `#` and accents:
//! `Número Cliente`, `numero_cliente` and `NUMEROCLIENTE` are the same name. A synonym never
//! belongs to two fields (a unit test checks this).

/// Header names of the transaction fields, per language. Rendered in the crate docs.
///
/// Every header of the shipped lifetimes/CDNOW data is included (`customer_id`, `id`, `ID`,
/// `date`, `dollar_value`, `number_of_cds`).
pub const TRANSACTION_SYNONYMS: &[FieldSynonyms] = &[
    FieldSynonyms {
        field: "customer",
        names: &[
            (
                "en",
                &[
                    "customer_id",
                    "customer",
                    "customer id",
                    "customer_no",
                    "customer_number",
                    "client_id",
                    "client",
                    "user_id",
                    "member_id",
                    "account_id",
                    "buyer",
                    "cust_id",
                    "id",
                ],
            ),
            (
                "es",
                &[
                    "cliente",
                    "id_cliente",
                    "cliente_id",
                    "código_cliente",
                    "número_cliente",
                    "comprador",
                    "socio",
                ],
            ),
            (
                "pt",
                &[
                    "cliente",
                    "id_cliente",
                    "código_do_cliente",
                    "cod_cliente",
                    "número_do_cliente",
                    "consumidor",
                    "comprador",
                ],
            ),
            (
                "fi",
                &[
                    "asiakas",
                    "asiakas_id",
                    "asiakasnumero",
                    "asiakastunnus",
                    "asiakasnro",
                    "ostaja",
                ],
            ),
            (
                "de",
                &[
                    "kunde",
                    "kunden_id",
                    "kundennummer",
                    "kundennr",
                    "kunden_nr",
                    "käufer",
                    "kundenkennung",
                ],
            ),
            (
                "fr",
                &[
                    "client",
                    "id_client",
                    "client_id",
                    "numéro_client",
                    "code_client",
                    "acheteur",
                    "no_client",
                ],
            ),
        ],
    },
    FieldSynonyms {
        field: "date",
        names: &[
            (
                "en",
                &[
                    "date",
                    "transaction_date",
                    "order_date",
                    "purchase_date",
                    "sale_date",
                    "invoice_date",
                    "timestamp",
                    "datetime",
                    "created_at",
                ],
            ),
            (
                "es",
                &[
                    "fecha",
                    "fecha_compra",
                    "fecha_venta",
                    "fecha_pedido",
                    "fecha_transacción",
                    "fecha_hora",
                    "fecha_factura",
                ],
            ),
            (
                "pt",
                &[
                    "data",
                    "data_compra",
                    "data_da_compra",
                    "data_venda",
                    "data_pedido",
                    "data_transação",
                    "data_hora",
                ],
            ),
            (
                "fi",
                &[
                    "päivämäärä",
                    "pvm",
                    "ostopäivä",
                    "ostopvm",
                    "tapahtumapäivä",
                    "aikaleima",
                    "päiväys",
                ],
            ),
            (
                "de",
                &[
                    "datum",
                    "kaufdatum",
                    "bestelldatum",
                    "rechnungsdatum",
                    "buchungsdatum",
                    "zeitstempel",
                    "zeitpunkt",
                ],
            ),
            (
                "fr",
                &[
                    "date_achat",
                    "date_commande",
                    "date_vente",
                    "date_transaction",
                    "date_facture",
                    "horodatage",
                    "date_heure",
                ],
            ),
        ],
    },
    FieldSynonyms {
        field: "amount",
        names: &[
            (
                "en",
                &[
                    "amount",
                    "dollar_value",
                    "value",
                    "total",
                    "price",
                    "revenue",
                    "sales",
                    "spend",
                    "order_value",
                    "monetary_value",
                    "total_amount",
                    "sale_amount",
                ],
            ),
            (
                "es",
                &[
                    "importe",
                    "monto",
                    "valor",
                    "precio",
                    "ventas",
                    "gasto",
                    "importe_total",
                    "total_venta",
                ],
            ),
            (
                "pt",
                &[
                    "valor",
                    "montante",
                    "preço",
                    "valor_total",
                    "quantia",
                    "receita",
                    "total_compra",
                ],
            ),
            (
                "fi",
                &[
                    "summa",
                    "hinta",
                    "arvo",
                    "kokonaissumma",
                    "myynti",
                    "loppusumma",
                    "euroa",
                ],
            ),
            (
                "de",
                &[
                    "betrag",
                    "umsatz",
                    "wert",
                    "preis",
                    "summe",
                    "gesamtbetrag",
                    "rechnungsbetrag",
                ],
            ),
            (
                "fr",
                &[
                    "montant",
                    "valeur",
                    "prix",
                    "chiffre_affaires",
                    "dépense",
                    "montant_total",
                    "montant_ttc",
                ],
            ),
        ],
    },
    FieldSynonyms {
        field: "quantity",
        names: &[
            (
                "en",
                &[
                    "quantity",
                    "qty",
                    "number_of_cds",
                    "units",
                    "items",
                    "number_of_items",
                    "pieces",
                    "quantity_sold",
                ],
            ),
            (
                "es",
                &[
                    "cantidad",
                    "unidades",
                    "piezas",
                    "artículos",
                    "num_artículos",
                    "cant",
                ],
            ),
            (
                "pt",
                &[
                    "quantidade",
                    "qtd",
                    "qtde",
                    "itens",
                    "peças",
                    "unidades_vendidas",
                ],
            ),
            (
                "fi",
                &[
                    "määrä",
                    "kpl",
                    "kappalemäärä",
                    "lukumäärä",
                    "kappaleet",
                    "tuotemäärä",
                ],
            ),
            (
                "de",
                &[
                    "menge",
                    "anzahl",
                    "stück",
                    "stückzahl",
                    "stk",
                    "artikelanzahl",
                ],
            ),
            (
                "fr",
                &[
                    "quantité",
                    "qté",
                    "nombre_articles",
                    "nb_articles",
                    "unités",
                    "pièces",
                ],
            ),
        ],
    },
    FieldSynonyms {
        field: "transaction_id",
        names: &[
            (
                "en",
                &[
                    "transaction_id",
                    "order_id",
                    "invoice_id",
                    "receipt_id",
                    "invoice",
                    "order_number",
                    "txn_id",
                    "order_no",
                    "receipt_no",
                    "sale_id",
                ],
            ),
            (
                "es",
                &[
                    "id_transacción",
                    "id_pedido",
                    "factura",
                    "número_factura",
                    "pedido",
                    "número_pedido",
                    "ticket",
                    "id_venta",
                    "recibo",
                ],
            ),
            (
                "pt",
                &[
                    "id_transação",
                    "id_pedido",
                    "pedido",
                    "nota_fiscal",
                    "número_pedido",
                    "fatura",
                    "id_venda",
                    "recibo",
                    "cupom_fiscal",
                ],
            ),
            (
                "fi",
                &[
                    "tapahtuma_id",
                    "tilausnumero",
                    "kuittinumero",
                    "laskunumero",
                    "tilaus",
                    "kuitti",
                    "lasku",
                    "tapahtumatunnus",
                ],
            ),
            (
                "de",
                &[
                    "transaktions_id",
                    "bestellnummer",
                    "rechnungsnummer",
                    "belegnummer",
                    "bestellung",
                    "beleg",
                    "quittung",
                    "bon",
                ],
            ),
            (
                "fr",
                &[
                    "id_transaction",
                    "numéro_commande",
                    "commande",
                    "facture",
                    "numéro_facture",
                    "reçu",
                    "id_commande",
                ],
            ),
        ],
    },
];

/// Header names of the customers file fields (`read_customers`). The id column also accepts
/// every name of the transaction `customer` field.
pub const CUSTOMER_SYNONYMS: &[FieldSynonyms] = &[
    FieldSynonyms {
        field: "first_seen",
        names: &[
            (
                "en",
                &[
                    "first_seen",
                    "first_purchase",
                    "first_purchase_date",
                    "signup_date",
                    "joined",
                    "join_date",
                    "registration_date",
                    "customer_since",
                    "member_since",
                ],
            ),
            (
                "es",
                &[
                    "fecha_alta",
                    "fecha_registro",
                    "primera_compra",
                    "cliente_desde",
                    "fecha_ingreso",
                ],
            ),
            (
                "pt",
                &[
                    "data_cadastro",
                    "data_registro",
                    "primeira_compra",
                    "cliente_desde",
                    "data_adesão",
                ],
            ),
            (
                "fi",
                &[
                    "liittymispäivä",
                    "asiakas_alkaen",
                    "ensimmäinen_osto",
                    "rekisteröitymispäivä",
                    "jäsen_alkaen",
                ],
            ),
            (
                "de",
                &[
                    "erstkauf",
                    "kunde_seit",
                    "registriert_am",
                    "anmeldedatum",
                    "beitrittsdatum",
                ],
            ),
            (
                "fr",
                &[
                    "date_inscription",
                    "premier_achat",
                    "client_depuis",
                    "date_adhésion",
                    "date_premier_achat",
                ],
            ),
        ],
    },
    FieldSynonyms {
        field: "loyalty",
        names: &[
            (
                "en",
                &[
                    "loyalty",
                    "loyalty_member",
                    "member",
                    "is_member",
                    "membership",
                    "loyalty_program",
                    "club_member",
                ],
            ),
            (
                "es",
                &[
                    "fidelidad",
                    "socio_club",
                    "miembro",
                    "programa_fidelidad",
                    "es_socio",
                ],
            ),
            (
                "pt",
                &[
                    "fidelidade",
                    "membro",
                    "programa_fidelidade",
                    "sócio_clube",
                    "é_membro",
                ],
            ),
            (
                "fi",
                &[
                    "kanta_asiakas",
                    "jäsen",
                    "jäsenyys",
                    "kantaasiakkuus",
                    "bonusjäsen",
                ],
            ),
            (
                "de",
                &[
                    "mitglied",
                    "mitgliedschaft",
                    "kundenkarte",
                    "treueprogramm",
                    "stammkunde",
                ],
            ),
            (
                "fr",
                &[
                    "fidélité",
                    "membre",
                    "adhérent",
                    "programme_fidélité",
                    "carte_fidélité",
                ],
            ),
        ],
    },
    FieldSynonyms {
        field: "location",
        names: &[
            (
                "en",
                &[
                    "location", "store", "shop", "branch", "city", "region", "site",
                ],
            ),
            (
                "es",
                &["ubicación", "tienda", "sucursal", "ciudad", "local"],
            ),
            (
                "pt",
                &["localização", "loja", "filial", "cidade", "unidade"],
            ),
            (
                "fi",
                &["sijainti", "myymälä", "kauppa", "toimipiste", "kaupunki"],
            ),
            ("de", &["standort", "filiale", "geschäft", "stadt", "ort"]),
            (
                "fr",
                &["emplacement", "magasin", "boutique", "ville", "succursale"],
            ),
        ],
    },
    FieldSynonyms {
        field: "language",
        names: &[
            (
                "en",
                &[
                    "language",
                    "lang",
                    "locale",
                    "preferred_language",
                    "language_code",
                ],
            ),
            (
                "es",
                &[
                    "idioma",
                    "lengua",
                    "idioma_preferido",
                    "lenguaje",
                    "código_idioma",
                ],
            ),
            (
                "pt",
                &[
                    "língua",
                    "idioma",
                    "linguagem",
                    "idioma_preferencial",
                    "língua_preferida",
                ],
            ),
            (
                "fi",
                &[
                    "kieli",
                    "asiointikieli",
                    "äidinkieli",
                    "kielikoodi",
                    "kieli_koodi",
                ],
            ),
            (
                "de",
                &[
                    "sprache",
                    "sprachcode",
                    "bevorzugte_sprache",
                    "muttersprache",
                    "korrespondenzsprache",
                ],
            ),
            (
                "fr",
                &[
                    "langue",
                    "langue_préférée",
                    "code_langue",
                    "langage",
                    "langue_maternelle",
                ],
            ),
        ],
    },
];

/// The names of one field, by language (ISO 639-1 code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSynonyms {
    /// The field: `customer`, `date`, `amount`, `quantity`, `transaction_id` (transactions) or
    /// `first_seen`, `loyalty`, `location`, `language` (customers).
    pub field: &'static str,
    /// `(language, names)` pairs.
    pub names: &'static [(&'static str, &'static [&'static str])],
}

impl FieldSynonyms {
    /// True when `header` is one of the names (after [`normalize`]).
    pub fn matches(&self, header: &str) -> bool {
        let mut buf = String::new();
        normalize_into(header, &mut buf);
        self.matches_normalized(&buf)
    }

    pub(crate) fn matches_normalized(&self, norm: &str) -> bool {
        let mut buf = String::new();
        self.names.iter().flat_map(|(_, n)| n.iter()).any(|n| {
            normalize_into(n, &mut buf);
            buf == norm
        })
    }
}

/// The comparison form of a header name: lower case, accents removed, without spaces, `_`,
/// `-`, `.`, `/` and `#`. `"Número_Cliente"` → `"numerocliente"`.
pub fn normalize(name: &str) -> String {
    let mut s = String::new();
    normalize_into(name, &mut s);
    s
}

fn normalize_into(name: &str, out: &mut String) {
    out.clear();
    for c in name.trim().trim_start_matches('\u{feff}').chars() {
        if matches!(c, ' ' | '_' | '-' | '.' | '/' | '#' | '\u{a0}' | '\t') {
            continue;
        }
        for l in c.to_lowercase() {
            match l {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
                'ç' => out.push('c'),
                'è' | 'é' | 'ê' | 'ë' => out.push('e'),
                'ì' | 'í' | 'î' | 'ï' => out.push('i'),
                'ñ' => out.push('n'),
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
                'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
                'ý' | 'ÿ' => out.push('y'),
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                'º' | 'ª' => {}
                other => out.push(other),
            }
        }
    }
}

/// The synonym table as a Markdown table (field, language, names), for docs and `--help`.
pub fn synonyms_markdown(table: &[FieldSynonyms]) -> String {
    let mut s = String::from("| field | language | names |\n|---|---|---|\n");
    for f in table {
        for (lang, names) in f.names {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                f.field,
                lang,
                names.join(", ")
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn no_name_belongs_to_two_fields() {
        for table in [TRANSACTION_SYNONYMS, CUSTOMER_SYNONYMS] {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for f in table {
                for (_, names) in f.names {
                    for n in *names {
                        let k = normalize(n);
                        if let Some(other) = seen.insert(k.clone(), f.field) {
                            assert_eq!(other, f.field, "{n} in {other} and {}", f.field);
                        }
                    }
                }
            }
        }
        // The customers file's own fields must not collide with the customer id names.
        let ids = &TRANSACTION_SYNONYMS[0];
        for f in CUSTOMER_SYNONYMS {
            for (_, names) in f.names {
                for n in *names {
                    assert!(!ids.matches(n), "{n} is also a customer id name");
                }
            }
        }
    }

    #[test]
    fn at_least_five_per_language() {
        for f in TRANSACTION_SYNONYMS.iter().chain(CUSTOMER_SYNONYMS) {
            assert_eq!(f.names.len(), 6, "{}", f.field);
            for (lang, names) in f.names {
                assert!(names.len() >= 5, "{} {lang}", f.field);
            }
        }
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("Número_Cliente"), "numerocliente");
        assert_eq!(normalize(" PÄIVÄMÄÄRÄ "), "paivamaara");
        assert_eq!(normalize("Stück-Zahl"), "stuckzahl");
    }
}
