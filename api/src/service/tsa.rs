//! The service's RFC 3161 time-stamping authority (`POST /tsa`).
//!
//! Its key and certificate (critical EKU timeStamping, issued by the default CA) are made at
//! the first start that finds none, in one transaction that claims the `tsa` setting, so
//! processes starting together against one PostgreSQL end up with one TSA.
//!
//! Serial numbers come from a counter row (`tsa_state`, migration 0002) that each process
//! advances by [`SERIAL_BLOCK`] at a time with `UPDATE ... RETURNING`, taking the numbers in
//! between for its own tokens. The database serialises the update, so two processes can never
//! get the same number, and a restart continues after the last block any process took. (A
//! 128-bit random serial would need no table, but "never repeats" would then rest on
//! probability; the counter makes it exact.) What a process did not use of its last block
//! before it stopped is never used: serial numbers have gaps, and the audit log says which
//! were issued.
//!
//! Accounting: tokens are not written to the audit log one by one (anyone may ask for
//! timestamps, and the log would grow with every anonymous request). Each process counts them
//! (`eseal_tsa_tokens_total` in `/metrics`) and, once per `tsa_audit_period_secs` in which it
//! issued any, appends one `tsa.tokens` entry with their number, their serial numbers as
//! ranges and the span of their times ([`write_tally`]); a graceful stop writes the last one.
//! A process killed outright loses the entry of its last period: its serial numbers are then
//! among the gaps.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use eseal_certs::issue::{self, CertKind, CertRequest, Issuer};
use eseal_certs::name::SubjectName;
use eseal_certs::{Algorithm, Certificate, SigningKey, SoftwareKey};
use eseal_signer::tsp::{Accuracy, Tsa};
use serde_json::json;
use sqlx::{AnyPool, Row};

use super::audit::{self, NewEntry};
use super::error::{ApiError, ApiResult};
use super::pki;
use super::store::{certificates, settings};
use super::vault::Vault;

/// The TSA's policy (TSTInfo.policy). 1.3.6.1.4.1.32473 is the enterprise number RFC 5612
/// reserves for examples: an operator publishing a real TSA policy replaces it with its own.
pub const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.3161.1");

/// The accuracy stated in every token: genTime is truncated to the second.
pub const ACCURACY: Accuracy = Accuracy {
    seconds: Some(1),
    millis: None,
    micros: None,
};

/// The TSA's key, certificate and the chain embedded in its tokens.
pub struct TsaMaterial {
    pub key: SoftwareKey,
    pub certificate: Certificate,
    pub chain: Vec<Certificate>,
}

/// Loads the TSA, creating it on the first start that finds none.
pub async fn ensure(pool: &AnyPool, vault: &Vault, crl_base: &str) -> ApiResult<Arc<TsaMaterial>> {
    if let Some(m) = load(pool, vault).await? {
        return Ok(m);
    }
    let mut tx = pool.begin().await?;
    let ca_id = settings::require(&mut *tx, settings::DEFAULT_CA).await?;
    let ca = pki::load_ca(&mut tx, &ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("the default CA is missing"))?;
    let ca_key = vault.open_key(&ca.key_pem)?;
    let key = SoftwareKey::generate(Algorithm::P256)?;
    let subject = SubjectName {
        country: Some("CN".into()),
        organization: Some("eseal".into()),
        ..SubjectName::common("eseal Time-Stamping Authority")
    }
    .to_name()
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut req = CertRequest::new(
        subject,
        key.public_key().clone(),
        CertKind::TimeStamping,
        1825,
    );
    req.crl_url = Some(pki::crl_url(crl_base, &ca.id));
    let cert = issue::issue(
        &Issuer {
            certificate: &ca.certificate,
            key: &ca_key,
        },
        &req,
    )?;
    let cert_id =
        pki::record_certificate(&mut tx, &ca.id, &ca.organization_id, &cert, "tsa").await?;
    let value =
        json!({ "certificate_id": cert_id, "ca_id": ca.id, "key_pem": vault.seal_key(&key)? });
    if !settings::claim(&mut *tx, settings::TSA, &value.to_string()).await {
        // Another process made the TSA first: use its.
        let _ = tx.rollback().await;
        return load(pool, vault)
            .await?
            .ok_or_else(|| ApiError::internal("the TSA vanished"));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "tsa.created",
            // A service-wide fact, readable by every organisation's auditors like the tokens.
            organization_id: None,
            actor: "system",
            subject: Some(&cert_id),
            details: json!({ "ca_id": ca.id, "serial": eseal_certs::inspect::serial_hex(&cert), "policy": TSA_POLICY.to_string() }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(certificate = %cert_id, "time-stamping authority created");
    load(pool, vault)
        .await?
        .ok_or_else(|| ApiError::internal("the TSA vanished"))
}

async fn load(pool: &AnyPool, vault: &Vault) -> ApiResult<Option<Arc<TsaMaterial>>> {
    let Some(text) = settings::get(pool, settings::TSA).await? else {
        return Ok(None);
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("tsa setting: {e}")))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| ApiError::internal(format!("tsa setting: no {k}")))
    };
    let (cert_id, ca_id, key_pem) = (field("certificate_id")?, field("ca_id")?, field("key_pem")?);
    let der = certificates::der(pool, &cert_id).await?;
    let mut conn = pool.acquire().await?;
    let chain = pki::ca_chain(&mut conn, &ca_id).await?;
    Ok(Some(Arc::new(TsaMaterial {
        key: vault.open_key(&key_pem)?,
        certificate: pki::cert_from_der(&der)?,
        chain,
    })))
}

/// How many serial numbers a process takes from the counter at once.
pub const SERIAL_BLOCK: u64 = 100;

/// The TSA as a process runs it: its material, the serial numbers it has reserved and the
/// tokens it issued since its last audit entry.
pub struct Authority {
    pub material: Arc<TsaMaterial>,
    serials: tokio::sync::Mutex<SerialBlock>,
    tally: Mutex<Tally>,
}

/// Serial numbers reserved and not used yet: `next..end`.
#[derive(Default)]
struct SerialBlock {
    next: u64,
    end: u64,
}

/// Tokens issued since the last audit entry.
#[derive(Default, Debug, PartialEq)]
pub struct Tally {
    pub count: u64,
    /// Their serial numbers as sorted, disjoint, inclusive ranges.
    pub serials: Vec<(u64, u64)>,
    /// The first and last genTime (Unix seconds).
    pub span: Option<(u64, u64)>,
}

impl Tally {
    fn record(&mut self, serial: u64, gen_time: u64) {
        self.count += 1;
        add_serial(&mut self.serials, serial);
        self.span = Some(match self.span {
            None => (gen_time, gen_time),
            Some((a, b)) => (a.min(gen_time), b.max(gen_time)),
        });
    }

    /// Puts back a tally whose entry could not be written, so that the next one covers it.
    fn merge(&mut self, other: Tally) {
        self.count += other.count;
        let mut all = std::mem::take(&mut self.serials);
        all.extend(other.serials);
        all.sort_unstable();
        for (a, b) in all {
            match self.serials.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => self.serials.push((a, b)),
            }
        }
        if let Some((a, b)) = other.span {
            self.span = Some(match self.span {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            });
        }
    }
}

/// Adds `s` to sorted disjoint inclusive ranges, joining neighbours. Tokens finish about in
/// serial order, so this is nearly always the last range growing by one.
fn add_serial(ranges: &mut Vec<(u64, u64)>, s: u64) {
    if let Some(last) = ranges.last_mut() {
        if last.1.checked_add(1) == Some(s) {
            last.1 = s;
            return;
        }
    }
    // The first range that ends at or after s - 1.
    let i = ranges.partition_point(|&(_, b)| b.saturating_add(1) < s);
    match ranges.get(i).copied() {
        Some((a, b)) if a <= s && s <= b => {}
        Some((a, b)) if b.checked_add(1) == Some(s) => {
            ranges[i] = (a, s);
            if let Some(&(na, nb)) = ranges.get(i + 1) {
                if Some(na) == s.checked_add(1) {
                    ranges[i] = (a, nb);
                    ranges.remove(i + 1);
                }
            }
        }
        Some((a, b)) if s.checked_add(1) == Some(a) => ranges[i] = (s, b),
        _ => ranges.insert(i, (s, s)),
    }
}

impl Authority {
    pub fn new(material: Arc<TsaMaterial>) -> Authority {
        Authority {
            material,
            serials: tokio::sync::Mutex::default(),
            tally: Mutex::default(),
        }
    }

    /// The next serial number, reserving a new block from the counter when this one is used.
    async fn next_serial(&self, pool: &AnyPool) -> ApiResult<u64> {
        let mut block = self.serials.lock().await;
        if block.next >= block.end {
            let block_size =
                i64::try_from(SERIAL_BLOCK).map_err(|_| ApiError::internal("serial block"))?;
            let last: i64 = sqlx::query(
                "UPDATE tsa_state SET last_serial = last_serial + $1 WHERE id = 1 RETURNING last_serial",
            )
            .bind(block_size)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
            let last =
                u64::try_from(last).map_err(|_| ApiError::internal("TSA serial out of range"))?;
            *block = SerialBlock {
                next: last.saturating_sub(SERIAL_BLOCK) + 1,
                end: last.saturating_add(1),
            };
        }
        let serial = block.next;
        block.next += 1;
        Ok(serial)
    }

    /// Takes the tally of tokens since the last call.
    fn take_tally(&self) -> Tally {
        self.tally
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }
}

/// Answers one DER TimeStampReq: a serial number from this process's block and the token
/// (or a rejection, which uses a serial number but issues nothing); the token is counted
/// toward the next `tsa.tokens` audit entry. Signing is one P-256 signature over a request
/// of at most a few kilobytes, so it runs here, not on the parse pool. Returns the
/// response and whether it holds a token.
pub async fn respond(
    pool: &AnyPool,
    tsa: &Authority,
    request: &[u8],
) -> ApiResult<(Vec<u8>, bool)> {
    let serial = tsa.next_serial(pool).await?;
    let m = &tsa.material;
    let authority = Tsa {
        key: &m.key,
        certificate: &m.certificate,
        chain: &m.chain,
        policy: TSA_POLICY,
        accuracy: ACCURACY,
    };
    let answer = authority
        .respond(request, &serial.to_be_bytes(), SystemTime::now())
        .map_err(|e| ApiError::internal(format!("TSA: {e}")))?;
    let issued = answer.issued.is_some();
    if let Some(tst) = &answer.issued {
        let gen_time = tst.gen_time.to_unix_duration().as_secs();
        if let Ok(mut t) = tsa.tally.lock() {
            t.record(serial, gen_time);
        }
    }
    Ok((answer.der, issued))
}

/// Appends one `tsa.tokens` audit entry for the tokens issued since the last, if there were
/// any; when the store cannot take it, the tally is kept for the next attempt.
pub async fn write_tally(pool: &AnyPool, tsa: &Authority) -> ApiResult<()> {
    let tally = tsa.take_tally();
    if tally.count == 0 {
        return Ok(());
    }
    let written = append_tally(pool, &tally).await;
    if written.is_err() {
        if let Ok(mut t) = tsa.tally.lock() {
            t.merge(tally);
        }
    }
    written
}

async fn append_tally(pool: &AnyPool, tally: &Tally) -> ApiResult<()> {
    let (from, until) = tally.span.unwrap_or_default();
    let subject = match (tally.serials.first(), tally.serials.last()) {
        (Some((first, _)), Some((_, last))) => format!("{first}-{last}"),
        _ => String::new(),
    };
    let mut tx = pool.begin().await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "tsa.tokens",
            organization_id: None,
            actor: "tsa",
            subject: Some(&subject),
            details: json!({
                "count": tally.count,
                "serials": tally.serials,
                "gen_time_from_unix": from,
                "gen_time_until_unix": until,
                "policy": TSA_POLICY.to_string(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the tally every `period` (a background task of the service).
pub fn spawn_accounting(pool: AnyPool, tsa: Arc<Authority>, period: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = write_tally(&pool, &tsa).await {
                tracing::warn!(error = %e, "TSA audit entry not written; retried next period");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_collect_into_ranges_in_any_order() {
        let mut r = Vec::new();
        for s in [5, 6, 7, 10, 9, 1, 3, 2, 8, 20] {
            add_serial(&mut r, s);
        }
        assert_eq!(r, vec![(1, 3), (5, 10), (20, 20)]);
        add_serial(&mut r, 4);
        assert_eq!(r, vec![(1, 10), (20, 20)]);
        add_serial(&mut r, 7);
        add_serial(&mut r, 19);
        assert_eq!(r, vec![(1, 10), (19, 20)]);
        add_serial(&mut r, 0);
        add_serial(&mut r, u64::MAX);
        assert_eq!(r, vec![(0, 10), (19, 20), (u64::MAX, u64::MAX)]);
    }

    #[test]
    fn a_tally_put_back_joins_the_next() {
        let mut a = Tally::default();
        a.record(11, 1000);
        a.record(12, 1001);
        let mut b = Tally::default();
        b.record(13, 1005);
        b.merge(a);
        assert_eq!(
            b,
            Tally {
                count: 3,
                serials: vec![(11, 13)],
                span: Some((1000, 1005)),
            }
        );
    }
}
