//! Merkle tree hashing and proofs of RFC 9162 (Certificate Transparency 2.0) §2.1: leaf hash
//! `SHA-256(0x00 ‖ entry)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, the tree head MTH for any
//! number of leaves, inclusion proofs (§2.1.3) and consistency proofs (§2.1.4), with the
//! verification algorithms of §2.1.3.2 and §2.1.4.2.
//!
//! Everything here works on leaf hashes, so the audit log keeps only those to answer proofs.

use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH over leaf hashes (§2.1.1); the empty tree's head is SHA-256 of nothing.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]): the inclusion proof of leaf `m` in the tree of `leaves` (§2.1.3.1).
pub fn inclusion_proof(m: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if m >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    path(m, leaves, &mut out);
    Some(out)
}

fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(root(&leaves[..k]));
    }
}

/// PROOF(m, D[n]): the consistency proof between the first `m` leaves and all of `leaves`
/// (§2.1.4.1); defined for 0 < m < n (empty for m = n).
pub fn consistency_proof(m: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if m == 0 || m > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    subproof(m, leaves, true, &mut out);
    Some(out)
}

fn subproof(m: usize, leaves: &[Hash], whole: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], whole, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Checks an inclusion proof (§2.1.3.2).
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root_hash: &Hash,
) -> bool {
    if leaf_index >= tree_size {
        return false;
    }
    let (mut fnum, mut snum) = (leaf_index, tree_size - 1);
    let mut r = *leaf;
    for p in proof {
        if snum == 0 {
            return false;
        }
        if fnum & 1 == 1 || fnum == snum {
            r = node_hash(p, &r);
            while fnum & 1 == 0 && fnum != 0 {
                fnum >>= 1;
                snum >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnum >>= 1;
        snum >>= 1;
    }
    snum == 0 && &r == root_hash
}

/// Checks a consistency proof between two tree heads (§2.1.4.2). (For clients and tests; the
/// service only produces these proofs.)
#[cfg_attr(not(test), allow(dead_code))]
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((c0, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnum, mut snum) = (first - 1, second - 1);
    while fnum & 1 == 1 {
        fnum >>= 1;
        snum >>= 1;
    }
    let (mut fr, mut sr) = (*c0, *c0);
    for c in rest {
        if snum == 0 {
            return false;
        }
        if fnum & 1 == 1 || fnum == snum {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnum & 1 == 0 && fnum != 0 {
                fnum >>= 1;
                snum >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnum >>= 1;
        snum >>= 1;
    }
    &fr == first_root && &sr == second_root && snum == 0
}

/// The answer of `GET /v1/log/proof/inclusion`.
#[derive(serde::Deserialize, serde::Serialize, Debug, utoipa::ToSchema)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Hex.
    pub leaf_hash: String,
    /// Hex: MTH of the tree of `tree_size` leaves.
    pub root_hash: String,
    /// Hex hashes, from the leaf's sibling upwards (RFC 9162 §2.1.3.1).
    pub audit_path: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        let v = hex::decode(s).unwrap();
        v.try_into().unwrap()
    }

    /// The leaves of the Certificate Transparency reference test vectors.
    fn vector_leaves() -> Vec<Hash> {
        let raw: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        raw.iter().map(|e| leaf_hash(e)).collect()
    }

    #[test]
    fn known_roots() {
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = vector_leaves();
        for (i, r) in roots.iter().enumerate() {
            assert_eq!(root(&leaves[..=i]), h(r), "tree of {}", i + 1);
        }
        assert_eq!(
            root(&[]),
            h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    #[test]
    fn hand_computed_three_leaf_tree() {
        let l: Vec<Hash> = (0u8..3).map(|i| leaf_hash(&[i])).collect();
        let expected = node_hash(&node_hash(&l[0], &l[1]), &l[2]);
        assert_eq!(root(&l), expected);
        // Leaf 2's path is the left subtree's head; leaf 0's is [l1, l2].
        assert_eq!(
            inclusion_proof(2, &l).unwrap(),
            vec![node_hash(&l[0], &l[1])]
        );
        assert_eq!(inclusion_proof(0, &l).unwrap(), vec![l[1], l[2]]);
        // Consistency 2 → 3 of the RFC's example shape: [l2] (the first head is implied).
        assert_eq!(consistency_proof(2, &l).unwrap(), vec![l[2]]);
        assert!(verify_consistency(2, 3, &root(&l[..2]), &expected, &[l[2]]));
    }

    #[test]
    fn known_inclusion_path() {
        // From the reference vectors: leaf 0 in the tree of 8.
        let leaves = vector_leaves();
        let p = inclusion_proof(0, &leaves).unwrap();
        let want = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(p, want.iter().map(|s| h(s)).collect::<Vec<_>>());
    }

    #[test]
    fn every_proof_up_to_33_leaves_verifies_and_tampering_fails() {
        let leaves: Vec<Hash> = (0u32..33).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 1..=leaves.len() {
            let t = &leaves[..n];
            let r = root(t);
            for m in 0..n {
                let p = inclusion_proof(m, t).unwrap();
                assert!(
                    verify_inclusion(m as u64, n as u64, &t[m], &p, &r),
                    "{m} in {n}"
                );
                assert!(!verify_inclusion(n as u64, n as u64, &t[m], &p, &r));
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = node_hash(first, first);
                    assert!(!verify_inclusion(m as u64, n as u64, &t[m], &bad, &r));
                }
                let other = leaf_hash(b"other");
                assert!(!verify_inclusion(m as u64, n as u64, &other, &p, &r));
            }
            for m in 1..=n {
                let p = consistency_proof(m, t).unwrap();
                let first = root(&t[..m]);
                assert!(
                    verify_consistency(m as u64, n as u64, &first, &r, &p),
                    "{m}->{n}"
                );
                if m < n {
                    assert!(!verify_consistency(m as u64, n as u64, &r, &r, &p));
                }
            }
        }
    }
}
