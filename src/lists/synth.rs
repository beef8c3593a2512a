//! Generates realistic lists for benches and tests.
//!
//! `zal_xml` and `ocl_xml` write valid release 1.1 documents of any size, shaped like the
//! production lists (several gegevensdiensten per zorgaanbieder, several systeemrollen per
//! gegevensdienst, indented as MedMij publishes them), so that throughput and memory
//! figures mean something. They do not randomise: the same arguments give the same bytes.
//! Used by `benches/`, the property and unit tests, and anyone wanting a big list.

use std::fmt::Write;

/// Service ids and their systeemrol codes, as in the official example.
const SERVICES: [(&str, [&str; 2]); 3] = [
    ("4", ["LAB-1.0.0-LRB-FHIR", "LAB-1.0.0-LRB-PDF"]),
    ("48", ["MM-1.0.0-BZB-FHIR", "MM-1.0.0-BZB-PDF"]),
    ("49", ["MM-1.0.0-PDB-FHIR", "MM-1.0.0-PLB-FHIR"]),
];

/// A lowercase-letter name unique per index (`aaaa`, `aaab`, ...), at least four letters.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
        if i == 0 && out.len() >= 4 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The `i`-th synthetic zorgaanbieder name, e.g. `zorgaaaa@medmij`.
pub fn provider_name(i: usize) -> String {
    format!("zorg{}@medmij", letters(i))
}

/// The `i`-th synthetic OAuth client hostname, e.g. `pgo-aaaa.example.nl`.
pub fn client_hostname(i: usize) -> String {
    format!("pgo-{}.example.nl", letters(i))
}

fn header(out: &mut String, root: &str, ns: &str) {
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{ns}\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n    \
         <Tijdstempel>2026-11-01T08:00:00+01:00</Tijdstempel>\n    <Volgnummer>1234</Volgnummer>\n"
    );
}

/// A valid ZAL with `providers` zorgaanbieders, each offering three gegevensdiensten with
/// two systeemrollen (about 3.7 KB per provider).
pub fn zal_xml(providers: usize) -> String {
    let mut out = String::with_capacity(300 + providers * 3800);
    header(&mut out, "Zorgaanbiederslijst", super::zal::NAMESPACE);
    out.push_str("    <Zorgaanbieders>\n");
    for i in 0..providers {
        let slug = letters(i);
        let _ = write!(
            out,
            "        <Zorgaanbieder>\n            <Zorgaanbiedernaam>zorg{slug}@medmij</Zorgaanbiedernaam>\n            <Gegevensdiensten>\n"
        );
        for (id, rollen) in SERVICES {
            let _ = write!(
                out,
                "                <Gegevensdienst>\n                    <GegevensdienstId>{id}</GegevensdienstId>\n                    <AuthorizationEndpoint>\n                        <AuthorizationEndpointuri>https://auth.zorg{slug}.nl/oauth/authorize</AuthorizationEndpointuri>\n                    </AuthorizationEndpoint>\n                    <TokenEndpoint>\n                        <TokenEndpointuri>https://auth.zorg{slug}.nl/oauth/token</TokenEndpointuri>\n                    </TokenEndpoint>\n                    <Systeemrollen>\n"
            );
            for code in rollen {
                let _ = write!(
                    out,
                    "                        <Systeemrol>\n                            <Systeemrolcode>{code}</Systeemrolcode>\n                            <ResourceEndpoint>\n                                <ResourceEndpointuri>https://fhir.zorg{slug}.nl:8443/medmij/{id}</ResourceEndpointuri>\n                            </ResourceEndpoint>\n                        </Systeemrol>\n"
                );
            }
            out.push_str(
                "                    </Systeemrollen>\n                </Gegevensdienst>\n",
            );
        }
        out.push_str("            </Gegevensdiensten>\n        </Zorgaanbieder>\n");
    }
    out.push_str("    </Zorgaanbieders>\n</Zorgaanbiederslijst>\n");
    out
}

/// A valid OCL (release 1.x form) with `clients` OAuth clients.
pub fn ocl_xml(clients: usize) -> String {
    let mut out = String::with_capacity(300 + clients * 200);
    header(&mut out, "OAuthclientlist", super::ocl::NAMESPACE);
    out.push_str("    <OAuthclients>\n");
    for i in 0..clients {
        let _ = write!(
            out,
            "        <OAuthclient>\n            <Hostname>{}</Hostname>\n            <OAuthclientOrganisatienaam>PGO {}</OAuthclientOrganisatienaam>\n        </OAuthclient>\n",
            client_hostname(i),
            letters(i)
        );
    }
    out.push_str("    </OAuthclients>\n</OAuthclientlist>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_zal_parses_with_every_provider_and_service() {
        let zal = crate::lists::zal::parse(zal_xml(30).as_bytes()).unwrap();
        assert_eq!(zal.zorgaanbieders.len(), 30);
        let za = zal.get(&provider_name(29)).unwrap();
        assert_eq!(za.services.len(), 3);
        assert_eq!(
            za.services[2].systeemrollen[1].resource_endpoint.port,
            Some(8443)
        );
    }

    #[test]
    fn synthetic_ocl_parses_with_every_client() {
        let ocl = crate::lists::ocl::parse(ocl_xml(700).as_bytes()).unwrap();
        assert_eq!(ocl.clients.len(), 700);
        assert!(ocl.get(&client_hostname(699)).is_some());
    }

    #[test]
    fn names_stay_unique_and_valid_past_four_letters() {
        assert_eq!(letters(0), "aaaa");
        assert_eq!(letters(26 * 26 * 26 * 26), "baaaa");
        assert_ne!(provider_name(456_975), provider_name(456_976));
    }
}
