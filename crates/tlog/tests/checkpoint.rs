//! Signed notes and checkpoints: round trips, refusal of every kind of tampering, and Go's known answers.
//!
//! The Go known answers (PeterNeumann and EnochRoot keys, the Peter Neumann
//! quote and its signatures) are copied from golang.org/x/mod, file
//! `sumdb/note/note_test.go` (tests `TestNewVerifier`, `TestSign`, `TestOpen`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use mamori_tlog::{
    Checkpoint, Error, Frontier, key_id, leaf_hash, open_note, parse_verifier_key, sign_note,
    verifier_key_string,
};

const NAME: &str = "example.com/audit";

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[8u8; 32])
}

fn checkpoint() -> Checkpoint {
    let mut frontier = Frontier::new();
    for i in 0u32..1234 {
        frontier.push(leaf_hash(&i.to_be_bytes()));
    }
    Checkpoint {
        origin: NAME.to_owned(),
        size: frontier.size(),
        root: frontier.root(),
    }
}

fn signed() -> String {
    checkpoint()
        .sign(NAME, &signing_key())
        .expect("valid checkpoint signs")
}

fn verify(note: &str) -> Result<Checkpoint, Error> {
    Checkpoint::verify(note, NAME, &signing_key().verifying_key())
}

#[test]
fn round_trip() {
    let note = signed();
    assert_eq!(verify(&note), Ok(checkpoint()));
}

#[test]
fn note_has_the_documented_shape() {
    let cp = checkpoint();
    let note = signed();
    let body = format!(
        "{}\n{}\n{}\n",
        cp.origin,
        cp.size,
        STANDARD.encode(cp.root.as_bytes())
    );
    let signature_line = note
        .strip_prefix(&format!("{body}\n"))
        .expect("body, then a blank line");
    let encoded = signature_line
        .strip_prefix(&format!("\u{2014} {NAME} "))
        .and_then(|rest| rest.strip_suffix('\n'))
        .expect("em dash, space, name, space, signature, newline");
    let decoded = STANDARD.decode(encoded).expect("standard base64");
    assert_eq!(decoded.len(), 4 + 64);
    let key = signing_key().verifying_key();
    assert_eq!(decoded[..4], key_id(NAME, &key).to_be_bytes());
    // The key id is SHA-256(name || 0x0A || 0x01 || key)[..4], computed here by hand.
    use sha2::{Digest, Sha256};
    let mut input = NAME.as_bytes().to_vec();
    input.push(b'\n');
    input.push(0x01);
    input.extend_from_slice(key.as_bytes());
    assert_eq!(decoded[..4], Sha256::digest(&input)[..4]);
    let signature = ed25519_dalek::Signature::from_slice(&decoded[4..]).expect("64 bytes");
    key.verify_strict(body.as_bytes(), &signature)
        .expect("signature covers the body with its final newline");
}

#[test]
fn every_altered_byte_is_refused() {
    let note = signed().into_bytes();
    let mut tried = 0;
    for position in 0..note.len() {
        for replacement in [note[position] ^ 0x01, note[position] ^ 0x20, b'A', b'\n'] {
            if replacement == note[position] {
                continue;
            }
            let mut altered = note.clone();
            altered[position] = replacement;
            // An alteration that breaks UTF-8 cannot even be handed over as `&str`.
            if let Ok(text) = std::str::from_utf8(&altered) {
                tried += 1;
                assert!(
                    verify(text).is_err(),
                    "byte {position} changed to {replacement:#04x} was accepted"
                );
            }
        }
    }
    assert!(tried > 3 * note.len() / 2);
}

#[test]
fn altered_body_is_refused() {
    let note = signed();
    let cp = checkpoint();
    let other_size = note.replacen(
        &format!("\n{}\n", cp.size),
        &format!("\n{}\n", cp.size + 1),
        1,
    );
    assert_ne!(other_size, note);
    assert!(matches!(
        verify(&other_size),
        Err(Error::BadSignature { .. })
    ));
    let other_origin = note.replacen(NAME, "example.com/other", 1);
    assert!(matches!(
        verify(&other_origin),
        Err(Error::BadSignature { .. })
    ));
}

#[test]
fn altered_signature_is_refused() {
    let note = signed();
    let line_start = note.rfind('\u{2014}').expect("signature line");
    let encoded_start = line_start + "\u{2014} ".len() + NAME.len() + 1;
    let mut decoded = STANDARD
        .decode(note[encoded_start..].trim_end())
        .expect("base64");
    decoded[10] ^= 0x01;
    let forged = format!("{}{}\n", &note[..encoded_start], STANDARD.encode(&decoded));
    assert!(matches!(verify(&forged), Err(Error::BadSignature { .. })));
}

#[test]
fn wrong_key_and_wrong_name_are_refused() {
    let note = signed();
    assert!(matches!(
        Checkpoint::verify(&note, NAME, &other_key().verifying_key()),
        Err(Error::NoMatchingSignature { .. })
    ));
    assert!(matches!(
        Checkpoint::verify(&note, "example.com/other", &signing_key().verifying_key()),
        Err(Error::NoMatchingSignature { .. })
    ));
    // A signature by another key made to look like ours (our name and key
    // id) is checked against our key and fails.
    let impostor = checkpoint()
        .sign(NAME, &other_key())
        .expect("valid checkpoint signs");
    let our_id = key_id(NAME, &signing_key().verifying_key()).to_be_bytes();
    let line_start = impostor.rfind('\u{2014}').expect("signature line");
    let encoded_start = line_start + "\u{2014} ".len() + NAME.len() + 1;
    let mut decoded = STANDARD
        .decode(impostor[encoded_start..].trim_end())
        .expect("base64");
    decoded[..4].copy_from_slice(&our_id);
    let disguised = format!(
        "{}{}\n",
        &impostor[..encoded_start],
        STANDARD.encode(&decoded)
    );
    assert!(matches!(
        verify(&disguised),
        Err(Error::BadSignature { .. })
    ));
}

#[test]
fn other_signers_lines_are_ignored() {
    let note = signed();
    let witness = checkpoint()
        .sign("witness.example", &other_key())
        .expect("valid checkpoint signs");
    let witness_line = &witness[witness.rfind('\u{2014}').expect("signature line")..];
    let cosigned = format!("{note}{witness_line}");
    assert_eq!(verify(&cosigned), Ok(checkpoint()));
    let witness_first = note.replacen('\u{2014}', &format!("{witness_line}\u{2014}"), 1);
    assert_eq!(verify(&witness_first), Ok(checkpoint()));
}

#[test]
fn malformed_notes_are_refused() {
    let note = signed();
    let (body, signature_line) = note.split_once("\n\n").expect("blank line");
    let no_blank_line = format!("{body}\n{signature_line}");
    assert!(matches!(
        verify(&no_blank_line),
        Err(Error::MalformedNote(_))
    ));
    let no_final_newline = note.trim_end_matches('\n');
    assert!(matches!(
        verify(no_final_newline),
        Err(Error::MalformedNote(_))
    ));
    let ascii_dash = note.replacen('\u{2014}', "-", 1);
    assert!(matches!(verify(&ascii_dash), Err(Error::MalformedNote(_))));
    let no_signatures = format!("{body}\n\n");
    assert!(matches!(
        verify(&no_signatures),
        Err(Error::MalformedNote(_))
    ));
    let control_character = note.replacen("example", "exa\u{7}mple", 1);
    assert!(matches!(
        verify(&control_character),
        Err(Error::MalformedNote(_))
    ));
    let trailing_garbage = format!("{note}garbage\n");
    assert!(matches!(
        verify(&trailing_garbage),
        Err(Error::MalformedNote(_))
    ));
    assert!(matches!(verify(""), Err(Error::MalformedNote(_))));
    let too_many = format!("{note}{}", &signature_line[..].repeat(100));
    assert!(matches!(verify(&too_many), Err(Error::MalformedNote(_))));
}

/// Signs `text` as note text and checks that the checkpoint parser refuses it.
fn assert_malformed_checkpoint(text: &str) {
    let note = sign_note(text, NAME, &signing_key()).expect("valid note text signs");
    assert!(
        matches!(verify(&note), Err(Error::MalformedCheckpoint(_))),
        "{text:?} was accepted as a checkpoint"
    );
}

#[test]
fn non_canonical_checkpoint_bodies_are_refused() {
    let root = STANDARD.encode(checkpoint().root.as_bytes());
    assert_malformed_checkpoint(&format!("{NAME}\n1234\n"));
    assert_malformed_checkpoint(&format!("{NAME}\n1234\n{root}\nextension\n"));
    assert_malformed_checkpoint(&format!("\n1234\n{root}\n"));
    assert_malformed_checkpoint(&format!("{NAME}\n01234\n{root}\n"));
    assert_malformed_checkpoint(&format!("{NAME}\n+1234\n{root}\n"));
    assert_malformed_checkpoint(&format!("{NAME}\n\n{root}\n"));
    assert_malformed_checkpoint(&format!("{NAME}\n18446744073709551616\n{root}\n"));
    assert_malformed_checkpoint(&format!("{NAME}\n1234\n{}\n", root.trim_end_matches('=')));
    assert_malformed_checkpoint(&format!("{NAME}\n1234\n{}\n", STANDARD.encode([0u8; 31])));
    // Non-zero unused bits in the last base64 digit, which no canonical encoder writes.
    let mut sloppy = root.clone().into_bytes();
    let last_digit = sloppy.len() - 2;
    assert_eq!(sloppy[last_digit + 1], b'=');
    sloppy[last_digit] = if sloppy[last_digit] == b'B' {
        b'C'
    } else {
        b'B'
    };
    let sloppy = String::from_utf8(sloppy).expect("ASCII");
    assert_malformed_checkpoint(&format!("{NAME}\n1234\n{sloppy}\n"));
    // The largest size and the empty tree are fine.
    let max = sign_note(
        &format!("{NAME}\n18446744073709551615\n{root}\n"),
        NAME,
        &signing_key(),
    )
    .expect("signs");
    assert_eq!(verify(&max).map(|cp| cp.size), Ok(u64::MAX));
    let empty = Checkpoint {
        origin: NAME.to_owned(),
        size: 0,
        root: mamori_tlog::empty_root(),
    };
    let note = empty.sign(NAME, &signing_key()).expect("signs");
    assert_eq!(verify(&note), Ok(empty));
}

#[test]
fn unsignable_inputs_are_refused() {
    let mut cp = checkpoint();
    let key = signing_key();
    assert_eq!(cp.sign("bad name", &key), Err(Error::InvalidKeyName));
    assert_eq!(cp.sign("bad+name", &key), Err(Error::InvalidKeyName));
    assert_eq!(cp.sign("", &key), Err(Error::InvalidKeyName));
    cp.origin = "two\nlines".to_owned();
    assert!(matches!(
        cp.sign(NAME, &key),
        Err(Error::MalformedCheckpoint(_))
    ));
    cp.origin = String::new();
    assert!(matches!(
        cp.sign(NAME, &key),
        Err(Error::MalformedCheckpoint(_))
    ));
    assert!(matches!(
        sign_note("no final newline", NAME, &key),
        Err(Error::MalformedNote(_))
    ));
}

#[test]
fn verifier_key_round_trip_and_refusals() {
    let key = signing_key().verifying_key();
    let vkey = verifier_key_string(NAME, &key);
    assert_eq!(parse_verifier_key(&vkey), Ok((NAME.to_owned(), key)));
    let other = verifier_key_string(NAME, &other_key().verifying_key());
    let (_, other_b64) = other.rsplit_once('+').expect("three parts");
    let (prefix, _) = vkey.rsplit_once('+').expect("three parts");
    // Someone else's key under our name and key id fails the key id check.
    assert!(matches!(
        parse_verifier_key(&format!("{prefix}+{other_b64}")),
        Err(Error::MalformedVerifierKey(_))
    ));
    assert!(parse_verifier_key("no-plus-signs").is_err());
    assert!(parse_verifier_key(&vkey.replacen(NAME, "other.example", 1)).is_err());
}

/// golang.org/x/mod/sumdb/note: the PeterNeumann signer's private key,
/// `PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz`,
/// is base64 of 0x01 || Ed25519 seed.
fn peter_neumann() -> SigningKey {
    let decoded = STANDARD
        .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        .expect("base64");
    assert_eq!(decoded[0], 0x01);
    let seed: [u8; 32] = decoded[1..].try_into().expect("32-byte seed");
    SigningKey::from_bytes(&seed)
}

const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const GO_PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const GO_ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

#[test]
fn matches_go_sumdb_note_byte_for_byte() {
    let peter = peter_neumann();
    assert_eq!(
        verifier_key_string("PeterNeumann", &peter.verifying_key()),
        GO_PETER_VKEY
    );
    assert_eq!(key_id("PeterNeumann", &peter.verifying_key()), 0xc74f20a3);
    assert_eq!(
        sign_note(GO_TEXT, "PeterNeumann", &peter),
        Ok(format!("{GO_TEXT}\n{GO_PETER_SIG}"))
    );

    let (peter_name, peter_key): (String, VerifyingKey) =
        parse_verifier_key(GO_PETER_VKEY).expect("Go's verifier key parses");
    let (enoch_name, enoch_key) =
        parse_verifier_key(GO_ENOCH_VKEY).expect("Go's verifier key parses");
    assert_eq!(peter_key, peter.verifying_key());
    let both = format!("{GO_TEXT}\n{GO_PETER_SIG}{GO_ENOCH_SIG}");
    assert_eq!(open_note(&both, &peter_name, &peter_key), Ok(GO_TEXT));
    assert_eq!(open_note(&both, &enoch_name, &enoch_key), Ok(GO_TEXT));
    // Go's "invalid signature" case: four characters spliced into the signature.
    let spliced = format!(
        "{GO_TEXT}\n{}ABCD{}",
        &GO_PETER_SIG[..60],
        &GO_PETER_SIG[60..]
    );
    assert!(open_note(&spliced, &peter_name, &peter_key).is_err());
}
