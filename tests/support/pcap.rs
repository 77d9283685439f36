//! The captures of the CLI tests: traffic of a known shape, built with the
//! shared packet builder (`nwcap_testsupport::packets`).

pub use nwcap_testsupport::packets::{ACK, FIN, PSH, RST, SYN};
use nwcap_testsupport::packets::{ETHERTYPE_IPV4, TCP, UDP, eth, ipv4, pcap_us, tcp_seq, udp};

/// A classic pcap file (microseconds, Ethernet) of `(time in ms, frame)`,
/// the times counted from 2023-11-14 22:13:20 UTC.
pub fn pcap(frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    pcap_us(
        frames
            .iter()
            .map(|(ms, f)| (1_700_000_000_000_000u64 + ms * 1000, f)),
    )
}

/// One frame: Ethernet + IPv4 + TCP (flags; sequence 1000, acknowledgement
/// 2000) or UDP, with a payload.
pub fn frame(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    tcp: Option<u8>,
    payload: &[u8],
) -> Vec<u8> {
    let ip = match tcp {
        Some(flags) => ipv4(
            src,
            dst,
            TCP,
            &tcp_seq(sport, dport, flags, 1000, 2000, payload),
        ),
        None => ipv4(src, dst, UDP, &udp(sport, dport, payload)),
    };
    eth(None, ETHERTYPE_IPV4, &ip)
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
