//! TSIG signing for a zone, from its key_name/algorithm/secret_file in the config.
use std::sync::Arc;

use data_encoding::BASE64;
use hickory_client::proto::dnssec::rdata::tsig::TsigAlgorithm;
use hickory_client::proto::dnssec::tsig::TSigner;

use hickory_client::proto::op::{Message, MessageFinalizer, MessageVerifier, ResponseCode};
use hickory_client::proto::rr::{Name, Record};
use hickory_client::proto::xfer::DnsResponse;
use hickory_client::proto::ProtoError;

use super::error::UNVERIFIED;
use super::DnsError;
use crate::config::{read_tsig_secret, ZoneConfig};

/// Seconds of clock difference the server may accept (BIND's and RFC 8945's usual value).
const FUDGE: u16 = 300;

/// The signer for `zone`'s requests, or None when the zone has no key configured
/// (requests then go unsigned; servers that allow update by address accept them).
pub(crate) fn signer_for(zone: &ZoneConfig) -> Result<Option<Arc<dyn MessageFinalizer>>, DnsError> {
    let (key_name, path) = match (&zone.key_name, &zone.secret_file) {
        (None, None) => return Ok(None),
        (Some(k), Some(p)) => (k, p),
        _ => {
            return Err(DnsError::NoKey {
                zone: zone.name.clone(),
            })
        }
    };
    let algorithm = match zone
        .algorithm
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "hmac-sha256" => TsigAlgorithm::HmacSha256,
        "hmac-sha384" => TsigAlgorithm::HmacSha384,
        "hmac-sha512" => TsigAlgorithm::HmacSha512,
        other => {
            return Err(DnsError::BadInput(format!(
                "zone {}: TSIG algorithm \"{other}\" is not supported; use hmac-sha256, \
                 hmac-sha384 or hmac-sha512 (and a key of that kind on the server)",
                zone.name
            )))
        }
    };
    let secret = read_tsig_secret(path).map_err(DnsError::Secret)?;
    let key = BASE64.decode(secret.expose().as_bytes()).map_err(|_| {
        DnsError::Secret(format!(
            "TSIG secret in {} is not valid base64: use the secret from `tsig-keygen`",
            path.display()
        ))
    })?;
    let name = Name::from_ascii(key_name).map_err(|_| {
        DnsError::BadInput(format!(
            "zone {}: key_name \"{key_name}\" is not a valid DNS name",
            zone.name
        ))
    })?;
    let signer = TSigner::new(key, algorithm, name, FUDGE)
        .map_err(|e| DnsError::Other(format!("zone {}: cannot set up TSIG: {e}", zone.name)))?;
    Ok(Some(Arc::new(Signer(signer))))
}

/// TSigner whose reply check lets unsigned *error* replies through. A server that rejects
/// our key answers NOTAUTH with an empty MAC; hickory reports that as "truncated HMACs" and
/// loses the RCODE. Passing the reply on lets us say exactly what the server said. Replies
/// claiming success must still verify.
struct Signer(TSigner);

impl MessageFinalizer for Signer {
    fn finalize_message(
        &self,
        message: &Message,
        current_time: u32,
    ) -> Result<(Vec<Record>, Option<MessageVerifier>), ProtoError> {
        let (records, verifier) = self.0.finalize_message(message, current_time)?;
        let verifier = verifier.map(|mut inner| {
            Box::new(move |bytes: &[u8]| match inner(bytes) {
                Ok(r) => Ok(r),
                Err(e) => match Message::from_vec(bytes) {
                    Ok(m) if m.response_code() != ResponseCode::NoError => {
                        DnsResponse::from_buffer(bytes.to_vec())
                    }
                    _ => Err(ProtoError::from(format!("{UNVERIFIED}: {e}"))),
                },
            }) as MessageVerifier
        });
        Ok((records, verifier))
    }
}
