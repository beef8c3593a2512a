#!/usr/bin/env python3
"""Generates the mutation corpus for scopegate's list parsers and its xmllint verdicts.

Each mutation is a small edit of a valid base document (one per list type) that targets
one XSD rule: a pattern, a length, element order, cardinality, uniqueness, xs:dateTime,
xs:positiveInteger, namespaces, well-formedness. Some mutations are deliberately valid
(boundaries, whitespace collapsing, comments inside values, prefixed namespaces, ...).
The later list form (Interfaceversies, Aanbiedertype, per-client Gegevensdiensten) has no
XSD and is covered by unit tests in src/lists/ instead.

Usage:
    python3 tests/corpus/generate.py            # rewrite mutations/ and verdicts.tsv
                                                # (verdicts from `xmllint --noout --schema`)

The recorded verdicts are re-derived by .ci/check-corpus; tests/lists_corpus.rs asserts
that scopegate agrees with them (or with the recorded divergence). Stdlib only.
"""

import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

NS = {
    "zal": "xmlns://afsprakenstelsel.medmij.nl/zorgaanbiederslijst/release2/",
    "ocl": "xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/",
    "whl": "xmlns://afsprakenstelsel.medmij.nl/whitelist/release2/",
    "gnl": "xmlns://afsprakenstelsel.medmij.nl/gegevensdienstnamenlijst/release1/",
}

XSD = {
    "zal": "xsd/release-1.1/MedMij_Zorgaanbiederslijst.xsd",
    "ocl": "xsd/release-1.1/MedMij_OAuthclientlist.xsd",
    "whl": "xsd/release-1.0/MedMij_Whitelist.xsd|xsd/release-1.1/MedMij_Whitelist.xsd",
    "gnl": "xsd/release-1.1/MedMij_Gegevensdienstnamenlijst.xsd",
}

ROOT = {"zal": "Zorgaanbiederslijst", "ocl": "OAuthclientlist", "whl": "Whitelist",
        "gnl": "Gegevensdienstnamenlijst"}


def head(kind):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{ROOT[kind]} xmlns="{NS[kind]}" {XSI} xsi:schemaLocation="{NS[kind]} x.xsd">\n'
            f'    <Tijdstempel>2024-03-01T08:00:00Z</Tijdstempel>\n'
            f'    <Volgnummer>42</Volgnummer>\n')


def service(gid, auth, token, rollen):
    out = (f'                <Gegevensdienst>\n'
           f'                    <GegevensdienstId>{gid}</GegevensdienstId>\n'
           f'                    <AuthorizationEndpoint><AuthorizationEndpointuri>{auth}</AuthorizationEndpointuri></AuthorizationEndpoint>\n'
           f'                    <TokenEndpoint><TokenEndpointuri>{token}</TokenEndpointuri></TokenEndpoint>\n'
           f'                    <Systeemrollen>\n')
    for code, uri in rollen:
        out += (f'                        <Systeemrol><Systeemrolcode>{code}</Systeemrolcode>'
                f'<ResourceEndpoint><ResourceEndpointuri>{uri}</ResourceEndpointuri></ResourceEndpoint></Systeemrol>\n')
    return out + '                    </Systeemrollen>\n                </Gegevensdienst>\n'


BASE = {
    "zal": head("zal") + (
        '    <Zorgaanbieders>\n'
        '        <Zorgaanbieder>\n'
        '            <Zorgaanbiedernaam>umcharderwijk@medmij</Zorgaanbiedernaam>\n'
        '            <Gegevensdiensten>\n'
        + service("4", "https://auth.umch.nl/oauth/authorize", "https://token.umch.nl/oauth/token",
                  [("LAB-1.0.0-LRB-FHIR", "https://fhir.umch.nl/lab"),
                   ("MM-1.0.0-BZB-FHIR", "https://fhir.umch.nl:8443/bgz")])
        + service("48", "https://auth.umch.nl/oauth/authorize48", "https://token.umch.nl/oauth/token48",
                  [("MM-1.0.0-PDB-FHIR", "https://fhir.umch.nl/pdb")])
        + '            </Gegevensdiensten>\n'
        '        </Zorgaanbieder>\n'
        '        <Zorgaanbieder>\n'
        '            <Zorgaanbiedernaam>ziekenhuisoost@medmij</Zorgaanbiedernaam>\n'
        '            <Gegevensdiensten>\n'
        + service("51", "https://oost.example.nl/authorize", "https://oost.example.nl/token",
                  [("MM-2.0.0-BGZ-FHIR", "https://oost.example.nl/fhir")])
        + '            </Gegevensdiensten>\n'
        '        </Zorgaanbieder>\n'
        '    </Zorgaanbieders>\n'
        '</Zorgaanbiederslijst>\n'),
    "ocl": head("ocl") + (
        '    <OAuthclients>\n'
        '        <OAuthclient>\n'
        '            <Hostname>medmij.deenigeechtepgo.nl</Hostname>\n'
        '            <OAuthclientOrganisatienaam>De Enige Echte PGO</OAuthclientOrganisatienaam>\n'
        '        </OAuthclient>\n'
        '        <OAuthclient>\n'
        '            <Hostname>pgo.example.com</Hostname>\n'
        '            <OAuthclientOrganisatienaam>Voorbeeld PGO</OAuthclientOrganisatienaam>\n'
        '        </OAuthclient>\n'
        '    </OAuthclients>\n'
        '</OAuthclientlist>\n'),
    "whl": head("whl") + (
        '    <MedMijNodes>\n'
        '        <MedMijNode>\n'
        '            <Hostname>medmij.deenigeechtepgo.nl</Hostname>\n'
        '        </MedMijNode>\n'
        '        <MedMijNode>\n'
        '            <Hostname>rcf-rso.nl</Hostname>\n'
        '        </MedMijNode>\n'
        '    </MedMijNodes>\n'
        '</Whitelist>\n'),
    "gnl": head("gnl") + (
        '    <Gegevensdiensten>\n'
        '        <Gegevensdienst>\n'
        '            <GegevensdienstId>48</GegevensdienstId>\n'
        '            <Weergavenaam>Basisgegevens zorg</Weergavenaam>\n'
        '        </Gegevensdienst>\n'
        '        <Gegevensdienst>\n'
        '            <GegevensdienstId>49</GegevensdienstId>\n'
        '            <Weergavenaam>Medicatiegegevens</Weergavenaam>\n'
        '        </Gegevensdienst>\n'
        '    </Gegevensdiensten>\n'
        '</Gegevensdienstnamenlijst>\n'),
}

WHL10 = head("whl") + (
    '    <MedMijNodes>\n'
    '        <MedMijNode>medmij.deenigeechtepgo.nl</MedMijNode>\n'
    '        <MedMijNode>rcf-rso.nl</MedMijNode>\n'
    '    </MedMijNodes>\n'
    '</Whitelist>\n')

# Where scopegate deliberately disagrees with xmllint: file -> (scopegate verdict, reason).
DIVERGENCE_REASONS = {
    "ts-no-tz-fraction": "SPEC 4 requires a time zone on Tijdstempel; the XSD pattern .{20,} lets a long local time through",
    "ts-year-1000000": "year beyond the supported range of chrono (262143); xs:dateTime has no upper bound",
    "doctype-empty": "any DOCTYPE is refused (no DTDs, no entities: XXE safety)",
    "encoding-latin1-declared": "UTF-8 only; libxml2 transcodes other declared encodings",
    "resource-uri-port-99999": "the XSD \\d{1,5} allows ports no URI can carry (above 65535)",
    "attr-xsi-type-declared": "xsi:type is refused outright; no MedMij list uses it and it could substitute types",
    "vn-25-digits": "libxml2 caps integers at 24 digits; xs:positiveInteger (and Volgnummer) has no upper bound",
    "token-uri-port-arabic-digits": "the XSD \\d is any Unicode digit; a port must be ASCII digits",
}


def sub(doc, old, new, count=1):
    if old not in doc:
        raise SystemExit(f"generate.py: {old!r} not in base document")
    return doc.replace(old, new, count)


def ts(doc, value):
    return sub(doc, "<Tijdstempel>2024-03-01T08:00:00Z</Tijdstempel>", f"<Tijdstempel>{value}</Tijdstempel>")


def vn(doc, value):
    return sub(doc, "<Volgnummer>42</Volgnummer>", f"<Volgnummer>{value}</Volgnummer>")


def prefixed(doc, kind):
    doc = re.sub(r"<(/?)([A-Za-z]+)([ >/])", r"<\1p:\2\3", doc)
    return sub(doc, f'xmlns="{NS[kind]}"', f'xmlns:p="{NS[kind]}"')


def generic(kind):
    """Mutations of the header, namespaces and XML syntax, the same for every list."""
    b = BASE[kind]
    root = ROOT[kind]
    close = f"</{root}>"
    m = {
        "ts-offset-plus-14": ts(b, "2024-03-01T08:00:00+14:00"),
        "ts-offset-plus-14-01": ts(b, "2024-03-01T08:00:00+14:01"),
        "ts-offset-minus-13-59": ts(b, "2024-03-01T08:00:00-13:59"),
        "ts-offset-hour-one-digit": ts(b, "2024-03-01T08:00:00+1:00"),
        "ts-leap-day-2024": ts(b, "2024-02-29T08:00:00Z"),
        "ts-leap-day-2023": ts(b, "2023-02-29T08:00:00Z"),
        "ts-leap-day-2100": ts(b, "2100-02-29T08:00:00Z"),
        "ts-leap-day-2000": ts(b, "2000-02-29T08:00:00Z"),
        "ts-april-31": ts(b, "2024-04-31T08:00:00Z"),
        "ts-month-13": ts(b, "2024-13-01T08:00:00Z"),
        "ts-hour-24": ts(b, "2024-03-01T24:00:00Z"),
        "ts-hour-24-01": ts(b, "2024-03-01T24:00:01Z"),
        "ts-second-60": ts(b, "2024-03-01T23:59:60Z"),
        "ts-fraction-long": ts(b, "2024-03-01T08:00:00.123456789012Z"),
        "ts-fraction-empty": ts(b, "2024-03-01T08:00:00.Z"),
        "ts-padded": ts(b, "\n  2024-03-01T08:00:00Z  \n"),
        "ts-no-tz": ts(b, "2024-03-01T08:00:00"),
        "ts-no-tz-fraction": ts(b, "2024-03-01T08:00:00.123"),
        "ts-lowercase-z": ts(b, "2024-03-01T08:00:00z"),
        "ts-space-separator": ts(b, "2024-03-01 08:00:00Z"),
        "ts-no-seconds": ts(b, "2024-03-01T08:00Z"),
        "ts-month-one-digit": ts(b, "2024-3-01T08:00:00Z"),
        "ts-year-0000": ts(b, "0000-03-01T08:00:00Z"),
        "ts-year-negative": ts(b, "-0001-03-01T08:00:00Z"),
        "ts-year-5-digits": ts(b, "12024-03-01T08:00:00Z"),
        "ts-year-leading-zero": ts(b, "02024-03-01T08:00:00Z"),
        "ts-year-1000000": ts(b, "1000000-03-01T08:00:00Z"),
        "ts-empty": ts(b, ""),
        "vn-plus-leading-zeros": vn(b, "+007"),
        "vn-padded": vn(b, " 42\n"),
        "vn-zero": vn(b, "0"),
        "vn-negative": vn(b, "-1"),
        "vn-inner-space": vn(b, "4 2"),
        "vn-24-digits": vn(b, "9" * 24),
        "vn-25-digits": vn(b, "9" * 25),
        "vn-decimal": vn(b, "1.0"),
        "vn-empty": vn(b, ""),
        "vn-arabic-digits": vn(b, "\u0664\u0662"),
        "header-swapped": sub(b, "    <Tijdstempel>2024-03-01T08:00:00Z</Tijdstempel>\n    <Volgnummer>42</Volgnummer>\n",
                              "    <Volgnummer>42</Volgnummer>\n    <Tijdstempel>2024-03-01T08:00:00Z</Tijdstempel>\n"),
        "header-no-volgnummer": sub(b, "    <Volgnummer>42</Volgnummer>\n", ""),
        "header-two-volgnummers": sub(b, "<Volgnummer>42</Volgnummer>", "<Volgnummer>42</Volgnummer><Volgnummer>43</Volgnummer>"),
        "ns-wrong": sub(b, f'xmlns="{NS[kind]}"', f'xmlns="{NS[kind].replace("release", "release9")}"'),
        "ns-none": sub(sub(b, f'xmlns="{NS[kind]}"', ""), f'xsi:schemaLocation="{NS[kind]} x.xsd"', ""),
        "ns-child-other": sub(b, "<Volgnummer>42</Volgnummer>", '<Volgnummer xmlns="urn:other">42</Volgnummer>'),
        "ns-prefixed": prefixed(b, kind),
        "attr-unexpected": sub(b, f"<{root} ", f'<{root} id="x" '),
        "attr-xsi-unknown": sub(b, f"<{root} ", f'<{root} xsi:foo="1" '),
        "attr-xsi-nil": sub(b, f"<{root} ", f'<{root} xsi:nil="false" '),
        "attr-xsi-type-declared": sub(b, f"<{root} ", f'<{root} xmlns:t="{NS[kind]}" xsi:type="t:{root}" '),
        "attr-xsi-no-namespace-location": sub(b, f"<{root} ", f'<{root} xsi:noNamespaceSchemaLocation="x.xsd" '),
        "attr-xml-lang": sub(b, f"<{root} ", f'<{root} xml:lang="nl" '),
        "attr-unexpected-on-child": sub(b, "<Volgnummer>", '<Volgnummer unit="n">'),
        "text-in-root": sub(b, "<Volgnummer>42</Volgnummer>", "<Volgnummer>42</Volgnummer> stray "),
        "comment-and-pi-everywhere": sub(sub(b, "<Volgnummer>42", "<!-- c --><?pi x?><Volgnummer>4<!-- in -->2"), close, f"{close}\n<!-- after -->"),
        "cdata-value": sub(b, "<Volgnummer>42</Volgnummer>", "<Volgnummer><![CDATA[42]]></Volgnummer>"),
        "charref-value": sub(b, "<Volgnummer>42</Volgnummer>", "<Volgnummer>&#52;&#x32;</Volgnummer>"),
        "crlf-line-endings": b.replace("\n", "\r\n"),
        "bom": "\ufeff" + b,
        "no-xml-declaration": b.split("\n", 1)[1],
        "wf-unclosed-root": sub(b, close, ""),
        "wf-mismatched-end": sub(b, "</Volgnummer>", "</Volgnumer>"),
        "wf-two-roots": b + f"<{root}/>\n",
        "wf-text-after-root": b + "trailing\n",
        "wf-unknown-entity": sub(b, "<Volgnummer>42", "<Volgnummer>4&two;"),
        "wf-control-char": sub(b, "<Volgnummer>42", "<Volgnummer>4\u00012"),
        "wf-charref-to-nul": sub(b, "<Volgnummer>42", "<Volgnummer>4&#0;2"),
        "wf-duplicate-attribute": sub(b, f"<{root} ", f'<{root} xmlns:a="urn:a" xmlns:a="urn:a" '),
        "doctype-empty": sub(b, f"<{root} ", f"<!DOCTYPE {root}>\n<{root} "),
        "encoding-latin1-declared": sub(b, 'encoding="UTF-8"', 'encoding="ISO-8859-1"'),
        "unknown-element-in-root": sub(b, close, f"<Extra/>\n{close}"),
    }
    return m


def zal():
    b = BASE["zal"]
    n = "umcharderwijk@medmij"
    za = lambda v: sub(b, f"<Zorgaanbiedernaam>{n}</Zorgaanbiedernaam>", f"<Zorgaanbiedernaam>{v}</Zorgaanbiedernaam>")
    auth = lambda v: sub(b, "https://auth.umch.nl/oauth/authorize<", f"{v}<")
    token = lambda v: sub(b, "https://token.umch.nl/oauth/token<", f"{v}<")
    res = lambda v: sub(b, "https://fhir.umch.nl/lab<", f"{v}<")
    rol1 = "<Systeemrolcode>LAB-1.0.0-LRB-FHIR</Systeemrolcode>"
    return {
        "zaname-uppercase": za("UMCharderwijk@medmij"),
        "zaname-padded": za(" umcharderwijk@medmij"),
        "zaname-digit": za("umc2harderwijk@medmij"),
        "zaname-wrong-suffix": za("umcharderwijk@medmij.nl"),
        "zaname-no-local": za("@medmij"),
        "zaname-9-chars": za("ab@medmij"),
        "zaname-10-chars": za("abc@medmij"),
        "zaname-57-chars": za("a" * 50 + "@medmij"),
        "zaname-58-chars": za("a" * 51 + "@medmij"),
        "zaname-unicode-letter": za("umch\u00e9rderwijk@medmij"),
        "zaname-comment-inside": za("umch<!-- x -->arderwijk@medmij"),
        "zaname-charref": za("&#117;mcharderwijk@medmij"),
        "zaname-duplicate": sub(b, "ziekenhuisoost@medmij", n),
        "gdid-empty": sub(b, "<GegevensdienstId>4</GegevensdienstId>", "<GegevensdienstId></GegevensdienstId>"),
        "gdid-30-chars": sub(b, "<GegevensdienstId>4<", "<GegevensdienstId>" + "9" * 30 + "<"),
        "gdid-31-chars": sub(b, "<GegevensdienstId>4<", "<GegevensdienstId>" + "9" * 31 + "<"),
        "gdid-30-chars-unicode": sub(b, "<GegevensdienstId>4<", "<GegevensdienstId>" + "\u00e9" * 30 + "<"),
        "gdid-duplicate-in-provider": sub(b, "<GegevensdienstId>48<", "<GegevensdienstId>4<"),
        "gdid-same-in-two-providers": sub(b, "<GegevensdienstId>51<", "<GegevensdienstId>4<"),
        "gdid-padded-distinct": sub(b, "<GegevensdienstId>48<", "<GegevensdienstId> 4<"),
        "rolcode-duplicate": sub(b, "<Systeemrolcode>MM-1.0.0-BZB-FHIR<", "<Systeemrolcode>LAB-1.0.0-LRB-FHIR<"),
        "rolcode-same-in-two-services": sub(b, "<Systeemrolcode>MM-1.0.0-PDB-FHIR<", "<Systeemrolcode>LAB-1.0.0-LRB-FHIR<"),
        "rolcode-empty": sub(b, rol1, "<Systeemrolcode/>"),
        "rolcode-31-chars": sub(b, rol1, "<Systeemrolcode>" + "R" * 31 + "</Systeemrolcode>"),
        "auth-uri-http": auth("http://auth.umch.nl/oauth/authorize"),
        "auth-uri-port": auth("https://auth.umch.nl:443/oauth/authorize"),
        "auth-uri-query": auth("https://auth.umch.nl/oauth/authorize?x=1"),
        "auth-uri-fragment": auth("https://auth.umch.nl/oauth/authorize#f"),
        "auth-uri-trailing-slash": auth("https://auth.umch.nl/oauth/authorize/"),
        "auth-uri-uppercase-host": auth("https://Auth.umch.nl/oauth/authorize"),
        "auth-uri-one-char-tld": auth("https://auth.umch.n/oauth/authorize"),
        "auth-uri-tld-ends-dash": auth("https://auth.umch.nl-/oauth/authorize"),
        "auth-uri-single-label": auth("https://localhost/oauth/authorize"),
        "auth-uri-space-in-path": auth("https://auth.umch.nl/oauth/auth orize"),
        "auth-uri-padded": auth(" https://auth.umch.nl/oauth/authorize"),
        "auth-uri-uppercase-path": auth("https://auth.umch.nl/OAuth/Authorize"),
        "token-uri-port": token("https://token.umch.nl:8443/oauth/token"),
        "token-uri-port-6-digits": token("https://token.umch.nl:844300/oauth/token"),
        "token-uri-port-empty": token("https://token.umch.nl:/oauth/token"),
        "token-uri-port-arabic-digits": token("https://token.umch.nl:\u0668\u0664/oauth/token"),
        "token-uri-one-char-tld": token("https://token.umch.n/oauth/token"),
        "token-uri-fragment": token("https://token.umch.nl/oauth/token#x"),
        "token-uri-no-path": token("https://token.umch.nl"),
        "resource-uri-double-slash": res("https://fhir.umch.nl//lab"),
        "resource-uri-port-99999": res("https://fhir.umch.nl:99999/lab"),
        "resource-uri-underscore-host": res("https://fhir_1.umch.nl/lab"),
        "resource-uri-trailing-newline": res("https://fhir.umch.nl/lab\n"),
        "missing-systeemrollen": re.sub(r"<Systeemrollen>.*?</Systeemrollen>\n", "", b, count=1, flags=re.S),
        "empty-systeemrollen": re.sub(r"<Systeemrollen>.*?</Systeemrollen>", "<Systeemrollen></Systeemrollen>", b, count=1, flags=re.S),
        "empty-gegevensdiensten": re.sub(r"<Gegevensdiensten>.*?</Gegevensdiensten>", "<Gegevensdiensten/>", b, count=1, flags=re.S),
        "missing-gegevensdiensten": re.sub(r"<Gegevensdiensten>.*?</Gegevensdiensten>\n", "", b, count=1, flags=re.S),
        "missing-token-endpoint": re.sub(r"<TokenEndpoint>.*?</TokenEndpoint>\n", "", b, count=1, flags=re.S),
        "endpoints-swapped": re.sub(r"(<AuthorizationEndpoint>.*?</AuthorizationEndpoint>\n)(\s*)(<TokenEndpoint>.*?</TokenEndpoint>\n)", r"\3\2\1", b, count=1, flags=re.S),
        "resource-before-rolcode": sub(b, rol1 + "<ResourceEndpoint><ResourceEndpointuri>https://fhir.umch.nl/lab</ResourceEndpointuri></ResourceEndpoint>",
                                      "<ResourceEndpoint><ResourceEndpointuri>https://fhir.umch.nl/lab</ResourceEndpointuri></ResourceEndpoint>" + rol1),
        "two-zorgaanbiedernamen": sub(b, f"<Zorgaanbiedernaam>{n}</Zorgaanbiedernaam>", f"<Zorgaanbiedernaam>{n}</Zorgaanbiedernaam><Zorgaanbiedernaam>abcdefghijk@medmij</Zorgaanbiedernaam>"),
        "text-in-gegevensdienst": sub(b, "<GegevensdienstId>4</GegevensdienstId>", "<GegevensdienstId>4</GegevensdienstId>x"),
        "element-in-value": za("umch<b>x</b>arderwijk@medmij"),
        "empty-zorgaanbieders": re.sub(r"<Zorgaanbieders>.*</Zorgaanbieders>", "<Zorgaanbieders/>", b, flags=re.S),
        "missing-zorgaanbieders": re.sub(r"<Zorgaanbieders>.*</Zorgaanbieders>\n", "", b, flags=re.S),
    }


def ocl():
    b = BASE["ocl"]
    h = "medmij.deenigeechtepgo.nl"
    host = lambda v: sub(b, f"<Hostname>{h}</Hostname>", f"<Hostname>{v}</Hostname>")
    org = lambda v: sub(b, "<OAuthclientOrganisatienaam>De Enige Echte PGO<", f"<OAuthclientOrganisatienaam>{v}<")
    return {
        "hostname-uppercase": host("MedMij.deenigeechtepgo.nl"),
        "hostname-single-label": host("localhost"),
        "hostname-tld-ends-dash": host("medmij.deenigeechtepgo.nl-"),
        "hostname-label-starts-dash": host("-medmij.deenigeechtepgo.nl"),
        "hostname-inner-label-ends-dash": host("medmij-.deenigeechtepgo.nl"),
        "hostname-one-char-tld": host("medmij.deenigeechtepgo.n"),
        "hostname-trailing-dot": host("medmij.deenigeechtepgo.nl."),
        "hostname-empty-label": host("medmij..nl"),
        "hostname-port": host("medmij.deenigeechtepgo.nl:443"),
        "hostname-padded": host("medmij.deenigeechtepgo.nl "),
        "hostname-digits": host("1.22"),
        "hostname-underscore": host("med_mij.nl"),
        "hostname-unicode": host("medm\u00efj.nl"),
        "hostname-empty": host(""),
        "hostname-duplicate": sub(b, "<Hostname>pgo.example.com<", f"<Hostname>{h}<"),
        "org-2-chars": org("AB"),
        "org-3-chars": org("ABC"),
        "org-50-chars": org("O" * 50),
        "org-51-chars": org("O" * 51),
        "org-50-chars-unicode": org("\u00e9" * 50),
        "org-51-chars-unicode": org("\u00e9" * 51),
        "org-padded-counts-spaces": org("  AB  "),
        "org-entity-counts-once": org("A&amp;B"),
        "org-crlf-counts-once": org("A\r\nB"),
        "org-charref-cr-counts": org("A&#13;&#10;"),
        "org-duplicate-allowed": sub(b, "<OAuthclientOrganisatienaam>Voorbeeld PGO<", "<OAuthclientOrganisatienaam>De Enige Echte PGO<"),
        "order-swapped": sub(b, f"<Hostname>{h}</Hostname>\n            <OAuthclientOrganisatienaam>De Enige Echte PGO</OAuthclientOrganisatienaam>",
                             f"<OAuthclientOrganisatienaam>De Enige Echte PGO</OAuthclientOrganisatienaam>\n            <Hostname>{h}</Hostname>"),
        "missing-org": sub(b, "            <OAuthclientOrganisatienaam>De Enige Echte PGO</OAuthclientOrganisatienaam>\n", ""),
        "missing-hostname": sub(b, f"            <Hostname>{h}</Hostname>\n", ""),
        "empty-client": re.sub(r"<OAuthclient>.*?</OAuthclient>", "<OAuthclient/>", b, count=1, flags=re.S),
        "empty-oauthclients": re.sub(r"<OAuthclients>.*</OAuthclients>", "<OAuthclients></OAuthclients>", b, flags=re.S),
        "missing-oauthclients": re.sub(r"<OAuthclients>.*</OAuthclients>\n", "", b, flags=re.S),
        "wrong-child": sub(b, "<OAuthclient>", "<OAuthClient>", 1).replace("</OAuthclient>", "</OAuthClient>", 1),
    }


def whl():
    b = BASE["whl"]
    h = "medmij.deenigeechtepgo.nl"
    host = lambda v: sub(b, f"<Hostname>{h}</Hostname>", f"<Hostname>{v}</Hostname>")
    host10 = lambda v: sub(WHL10, f"<MedMijNode>{h}</MedMijNode>", f"<MedMijNode>{v}</MedMijNode>")
    return {
        "r10-base": WHL10,
        "r10-hostname-uppercase": host10("Medmij.deenigeechtepgo.nl"),
        "r10-hostname-padded": host10(f"\n            {h}\n        "),
        "r10-hostname-single-label": host10("localhost"),
        "r10-hostname-empty": host10(""),
        "r10-duplicate": sub(WHL10, "<MedMijNode>rcf-rso.nl<", f"<MedMijNode>{h}<"),
        "r10-empty-nodes": re.sub(r"<MedMijNodes>.*</MedMijNodes>", "<MedMijNodes/>", WHL10, flags=re.S),
        "r10-comment-in-node": host10("medmij.<!-- c -->deenigeechtepgo.nl"),
        "r10-cdata-node": host10(f"<![CDATA[{h}]]>"),
        "r10-mixed-with-r11": sub(WHL10, "<MedMijNode>rcf-rso.nl</MedMijNode>", "<MedMijNode><Hostname>rcf-rso.nl</Hostname></MedMijNode>"),
        "r11-mixed-with-r10": sub(b, f"<MedMijNode>\n            <Hostname>{h}</Hostname>\n        </MedMijNode>", f"<MedMijNode>{h}</MedMijNode>"),
        "r11-hostname-uppercase": host("Medmij.deenigeechtepgo.nl"),
        "r11-hostname-padded": host(f" {h}"),
        "r11-hostname-tld-ends-dash": host("medmij.deenigeechtepgo.n-"),
        "r11-hostname-one-char-tld": host("medmij.deenigeechtepgo.n"),
        "r11-hostname-inner-label-ends-dash": host("medmij-.deenigeechtepgo.nl"),
        "r11-hostname-trailing-dot": host(f"{h}."),
        "r11-hostname-underscore": host("med_mij.nl"),
        "r11-duplicate": sub(b, "<Hostname>rcf-rso.nl<", f"<Hostname>{h}<"),
        "r11-empty-nodes": re.sub(r"<MedMijNodes>.*</MedMijNodes>", "<MedMijNodes></MedMijNodes>", b, flags=re.S),
        "r11-node-without-hostname": sub(b, f"\n            <Hostname>{h}</Hostname>\n        ", "  "),
        "r11-node-empty-element": sub(b, f"<MedMijNode>\n            <Hostname>{h}</Hostname>\n        </MedMijNode>", "<MedMijNode/>"),
        "r11-two-hostnames": sub(b, f"<Hostname>{h}</Hostname>", f"<Hostname>{h}</Hostname><Hostname>a.nl</Hostname>"),
        "r11-text-beside-hostname": sub(b, f"<Hostname>{h}</Hostname>", f"x<Hostname>{h}</Hostname>"),
        "r11-wrong-child": sub(b, f"<Hostname>{h}</Hostname>", f"<Host>{h}</Host>"),
        "missing-nodes": re.sub(r"<MedMijNodes>.*</MedMijNodes>\n", "", b, flags=re.S),
    }


def gnl():
    b = BASE["gnl"]
    gid = lambda v: sub(b, "<GegevensdienstId>48<", f"<GegevensdienstId>{v}<")
    naam = lambda v: sub(b, "<Weergavenaam>Basisgegevens zorg<", f"<Weergavenaam>{v}<")
    return {
        "id-empty": gid(""),
        "id-30-chars": gid("7" * 30),
        "id-31-chars": gid("7" * 31),
        "id-30-chars-unicode": gid("\u00fc" * 30),
        "id-31-chars-unicode": gid("\u00fc" * 31),
        "id-whitespace-only": gid("   "),
        "id-duplicate": gid("49"),
        "id-padded-distinct": gid(" 49"),
        "naam-2-chars": naam("Ab"),
        "naam-3-chars": naam("Abc"),
        "naam-50-chars": naam("N" * 50),
        "naam-51-chars": naam("N" * 51),
        "naam-50-chars-unicode": naam("\u00eb" * 50),
        "naam-duplicate-allowed": naam("Medicatiegegevens"),
        "naam-entities": naam("&lt;&amp;&gt;"),
        "missing-naam": sub(b, "            <Weergavenaam>Basisgegevens zorg</Weergavenaam>\n", ""),
        "missing-id": sub(b, "            <GegevensdienstId>48</GegevensdienstId>\n", ""),
        "order-swapped": sub(b, "<GegevensdienstId>48</GegevensdienstId>\n            <Weergavenaam>Basisgegevens zorg</Weergavenaam>",
                             "<Weergavenaam>Basisgegevens zorg</Weergavenaam>\n            <GegevensdienstId>48</GegevensdienstId>"),
        "empty-gegevensdiensten": re.sub(r"<Gegevensdiensten>.*</Gegevensdiensten>", "<Gegevensdiensten/>", b, flags=re.S),
        "missing-gegevensdiensten": re.sub(r"<Gegevensdiensten>.*</Gegevensdiensten>\n", "", b, flags=re.S),
        "release2-namespace": b.replace(NS["gnl"], NS["gnl"].replace("release1", "release2")),
        "extra-element-in-dienst": sub(b, "<Weergavenaam>Basisgegevens zorg</Weergavenaam>", "<Weergavenaam>Basisgegevens zorg</Weergavenaam><Omschrijving>x</Omschrijving>"),
    }


def xmllint_valid(path, xsds):
    for xsd in xsds.split("|"):
        r = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", os.path.join(HERE, xsd), path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            return True
    return False


EXAMPLES = [
    ("examples/release-1.0/MedMij_Zorgaanbiederslijst_example.xml", "xsd/release-1.0/MedMij_Zorgaanbiederslijst.xsd"),
    ("examples/release-1.0/MedMij_OAuthclientlist_example.xml", "xsd/release-1.0/MedMij_OAuthclientlist.xsd"),
    ("examples/release-1.0/MedMij_Whitelist_example.xml", XSD["whl"]),
    ("examples/release-1.1/MedMij_Zorgaanbiederslijst_example.xml", XSD["zal"]),
    ("examples/release-1.1/MedMij_OAuthclientlist_example.xml", XSD["ocl"]),
    ("examples/release-1.1/MedMij_Whitelist_example.xml", XSD["whl"]),
    ("examples/release-1.1/MedMij_Gegevensdienstnamenlijst_example.xml", XSD["gnl"]),
    ("examples/edge-cases/zal_example_empty.xml", XSD["zal"]),
    ("examples/edge-cases/whitelist_example_single.xml", XSD["whl"]),
    ("examples/authored-minimal/minimal_Zorgaanbiederslijst.xml", XSD["zal"]),
    ("examples/authored-minimal/minimal_OAuthclientlist.xml", XSD["ocl"]),
    ("examples/authored-minimal/minimal_Whitelist.xml", XSD["whl"]),
    ("examples/authored-minimal/minimal_Whitelist_release-1.0-form.xml", XSD["whl"]),
    ("examples/authored-minimal/minimal_Gegevensdienstnamenlijst.xml", XSD["gnl"]),
]


def main():
    out = os.path.join(HERE, "mutations")
    shutil.rmtree(out, ignore_errors=True)
    rows = [(f, x) for f, x in EXAMPLES]
    for kind, specific in (("zal", zal), ("ocl", ocl), ("whl", whl), ("gnl", gnl)):
        os.makedirs(os.path.join(out, kind))
        docs = {**generic(kind), **specific()}
        for name, doc in sorted(docs.items()):
            rel = f"mutations/{kind}/{name}.xml"
            with open(os.path.join(HERE, rel), "wb") as fh:
                fh.write(doc.encode("utf-8"))
            rows.append((rel, XSD[kind]))
    lines = ["# file\txsd (| = valid if any accepts)\txmllint\tscopegate\treason for a divergence"]
    for rel, xsd in rows:
        verdict = "valid" if xmllint_valid(os.path.join(HERE, rel), xsd) else "invalid"
        stem = os.path.splitext(os.path.basename(rel))[0]
        reason = DIVERGENCE_REASONS.get(stem)
        if reason:
            ours = "invalid" if verdict == "valid" else "valid"
            lines.append(f"{rel}\t{xsd}\t{verdict}\t{ours}\t{reason}")
        else:
            lines.append(f"{rel}\t{xsd}\t{verdict}\t{verdict}\t")
    with open(os.path.join(HERE, "verdicts.tsv"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"generate.py: {len(rows)} documents", file=sys.stderr)


if __name__ == "__main__":
    main()
