//! Captures the tests write themselves: a classic pcap file of Ethernet
//! frames, and a tiny Ethernet/IPv4/TCP/UDP frame builder.

/// TCP flags.
pub const FIN: u8 = 0x01;
/// TCP flags.
pub const SYN: u8 = 0x02;
/// TCP flags.
pub const RST: u8 = 0x04;
/// TCP flags.
pub const PSH: u8 = 0x08;
/// TCP flags.
pub const ACK: u8 = 0x10;

/// A classic pcap file (microseconds, Ethernet) of `(time in ms, frame)`,
/// the times counted from 2023-11-14 22:13:20 UTC.
pub fn pcap(frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    for (ms, f) in frames {
        let us = 1_700_000_000_000_000u64 + ms * 1000;
        out.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// One frame: Ethernet + IPv4 + TCP (flags) or UDP, with a payload.
pub fn frame(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    tcp: Option<u8>,
    payload: &[u8],
) -> Vec<u8> {
    let l4_len = if tcp.is_some() { 20 } else { 8 };
    let total = (20 + l4_len + payload.len()) as u16;
    let mut f = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
    f.extend_from_slice(&[0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0x40, 0, 64]);
    f.push(if tcp.is_some() { 6 } else { 17 });
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    match tcp {
        Some(flags) => {
            f.extend_from_slice(&1000u32.to_be_bytes());
            f.extend_from_slice(&2000u32.to_be_bytes());
            f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        }
        None => {
            let ulen = (8 + payload.len()) as u16;
            f.extend_from_slice(&ulen.to_be_bytes());
            f.extend_from_slice(&[0, 0]);
        }
    }
    f.extend_from_slice(payload);
    f
}

/// `n` TCP connections and `n` UDP exchanges starting at `t0` ms, from
/// clients 10.0.<c>.x to servers 10.9.0.<k>.
pub fn traffic(n: u16, t0: u64, c: u8) -> Vec<(u64, Vec<u8>)> {
    let mut v = Vec::new();
    for i in 0..n {
        let cli = [10, 0, c, (i % 250) as u8 + 1];
        let srv = [10, 9, 0, (i % 3) as u8 + 1];
        let cp = 40000 + i;
        let t = t0 + u64::from(i) * 10;
        v.push((t, frame(cli, cp, srv, 443, Some(SYN), b"")));
        v.push((t + 1, frame(srv, 443, cli, cp, Some(SYN | ACK), b"")));
        v.push((
            t + 2,
            frame(cli, cp, srv, 443, Some(ACK | PSH), &[0x61; 100]),
        ));
        v.push((
            t + 3,
            frame(srv, 443, cli, cp, Some(ACK | PSH), &[0x62; 700]),
        ));
        v.push((t + 4, frame(cli, cp, srv, 443, Some(FIN | ACK), b"")));
        v.push((t + 5, frame(cli, 5000 + i, srv, 53, None, &[1; 40])));
        v.push((t + 6, frame(srv, 53, cli, 5000 + i, None, &[2; 90])));
    }
    v.sort_by_key(|(t, _)| *t);
    v
}
