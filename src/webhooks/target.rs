//! Where webhooks may be sent: `http` or `https` URLs without credentials, to an
//! allow-listed host, or (with no allow-list) to any host whose every address is public, so
//! an endpoint cannot be pointed at the service's own network. The URL is checked when an
//! admin registers it and again before each send; the addresses a name resolves to are
//! checked as the connection is made (the webhook client resolves through
//! [`FilteringResolver`]), so a public name that resolves to an internal address reaches
//! nothing.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The configured allow-list of hosts.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    allowed_hosts: Vec<String>,
}

/// A host as compared: lower case, without the trailing dot of a fully qualified name or
/// the brackets of an IPv6 address.
fn normalized(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl TargetPolicy {
    /// `hosts`: exact host names or addresses, or `*.example.org` for its subdomains.
    pub fn new(hosts: &[String]) -> Self {
        Self {
            allowed_hosts: hosts.iter().map(|h| normalized(h.trim())).collect(),
        }
    }

    fn allow_listed(&self, host: &str) -> bool {
        self.allowed_hosts
            .iter()
            .any(|allowed| matches(allowed, host))
    }

    /// The URL, when webhooks may be sent there; otherwise why not.
    pub fn check(&self, url: &str) -> Result<Url, String> {
        if url.len() > 2048 {
            return Err("must be at most 2048 characters".into());
        }
        let parsed = Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(
                "must not carry credentials; the signature authenticates the sender".into(),
            );
        }
        let host = normalized(parsed.host_str().ok_or("must name a host")?);
        if !self.allowed_hosts.is_empty() {
            return if self.allow_listed(&host) {
                Ok(parsed)
            } else {
                Err(format!("{host} is not among the allowed webhook hosts"))
            };
        }
        let internal = match host.parse::<IpAddr>() {
            Ok(ip) => is_forbidden(ip),
            Err(_) => is_local_name(&host),
        };
        if internal {
            return Err(format!(
                "{host} is an internal address; allow-list it in `webhook_allowed_hosts` to use it"
            ));
        }
        Ok(parsed)
    }

    /// Whether a connection to `host` may go to `ip`.
    fn allows_address(&self, host: &str, ip: IpAddr) -> bool {
        let host = normalized(host);
        if self.allowed_hosts.is_empty() {
            !is_forbidden(ip)
        } else {
            self.allow_listed(&host)
        }
    }
}

fn matches(allowed: &str, host: &str) -> bool {
    match allowed.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => allowed == host,
    }
}

/// Names that mean this machine whatever a resolver says.
fn is_local_name(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "localhost.localdomain"
        || host == "ip6-localhost"
        || host == "ip6-loopback"
}

/// Addresses a webhook never goes to: this host, private and shared networks, link-local
/// (cloud metadata), reserved, documentation, benchmarking, multicast and broadcast ranges,
/// and IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo).
fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_forbidden_v4(ip),
        IpAddr::V6(ip) => is_forbidden_v6(ip),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    const RANGES: [([u8; 4], u32); 16] = [
        ([0, 0, 0, 0], 8),       // "this network"
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // shared address space (CGNAT, cloud metadata)
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
        ([255, 255, 255, 255], 32),
    ];
    RANGES
        .iter()
        .any(|(network, prefix)| in_v4(ip, *network, *prefix))
}

fn in_v6(ip: Ipv6Addr, network: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(network)) & mask
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) {
        return is_forbidden_v4(embedded(segments[6], segments[7])); // IPv4-mapped
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        return is_forbidden_v4(embedded(segments[1], segments[2])); // 6to4
    }
    const RANGES: [([u16; 8], u32); 11] = [
        ([0, 0, 0, 0, 0, 0, 0, 0], 96), // unspecified, loopback, IPv4-compatible
        ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96), // NAT64 to any IPv4 address
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), // local NAT64
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64), // discard
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32), // Teredo
        ([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48), // benchmarking
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), // unique local
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), // link-local
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), // site-local
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), // multicast
    ];
    RANGES
        .iter()
        .any(|(network, prefix)| in_v6(ip, *network, *prefix))
}

/// A name the resolver refused: one of its addresses is internal.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to an internal address")]
pub struct InternalAddress {
    pub host: String,
}

/// The webhook client's resolver: a name resolves only when every address the connection
/// may use is allowed, so DNS cannot point a registered name at an internal address.
/// `hosts` fixes the addresses of names, as `/etc/hosts` does (tests use it).
/// A configured proxy's host is the one name it resolves unchecked (`trusting`).
#[derive(Debug, Clone)]
pub struct FilteringResolver {
    policy: TargetPolicy,
    hosts: Arc<HashMap<String, Vec<IpAddr>>>,
    trusted: Option<String>,
}

impl FilteringResolver {
    pub fn new(policy: TargetPolicy, hosts: HashMap<String, Vec<IpAddr>>) -> Self {
        Self {
            policy,
            hosts: Arc::new(hosts),
            trusted: None,
        }
    }

    /// The same resolver, resolving `host` (a configured proxy's) without the policy.
    pub fn trusting(&self, host: Option<&str>) -> Self {
        Self {
            trusted: host.map(normalized),
            ..self.clone()
        }
    }

    /// The addresses of `host`, when the policy allows every one of them.
    async fn addresses(&self, host: &str) -> Result<Vec<SocketAddr>, BoxError> {
        let host = normalized(host);
        let addresses: Vec<SocketAddr> = match self.hosts.get(&host) {
            Some(fixed) => fixed.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
            None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
        };
        if addresses.is_empty() {
            return Err(format!("{host} has no address").into());
        }
        let trusted = self.trusted.as_deref() == Some(host.as_str());
        if !trusted
            && addresses
                .iter()
                .any(|address| !self.policy.allows_address(&host, address.ip()))
        {
            return Err(InternalAddress { host }.into());
        }
        Ok(addresses)
    }

    /// Whether a request may go to `host` (a name or an address), as a connection made
    /// through this resolver would find: an error saying why not.
    pub async fn check(&self, host: &str) -> Result<(), BoxError> {
        self.addresses(host).await.map(|_| ())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addresses = resolver.addresses(name.as_str()).await?;
            let addrs: Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_allow_list_internal_hosts_are_refused() {
        let open = TargetPolicy::default();
        assert!(open.check("https://hooks.partner.org/followup").is_ok());
        assert!(open.check("https://hooks.partner.org./followup").is_ok());
        for refused in [
            "ftp://hooks.partner.org/",
            "https://user:pw@hooks.partner.org/",
            "http://127.0.0.1:9000/",
            "http://localhost/",
            "http://localhost./",
            "http://LOCALHOST../",
            "http://api.localhost/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.100.100.200/latest/meta-data",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
            "http://240.0.0.1/",
            "http://255.255.255.255/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::7f00:1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b::8.8.8.8]/",
            "http://[2002:7f00:1::]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "not a url",
        ] {
            assert!(open.check(refused).is_err(), "{refused}");
        }
        assert!(
            open.check("http://[2002:808:808::]/").is_ok(),
            "6to4 of 8.8.8.8"
        );
    }

    #[test]
    fn an_allow_list_admits_only_its_hosts() {
        let policy = TargetPolicy::new(&["127.0.0.1".into(), "*.wco.example".into()]);
        assert!(policy.check("http://127.0.0.1:9000/hook").is_ok());
        assert!(policy.check("https://hooks.wco.example/x").is_ok());
        assert!(policy.check("https://hooks.wco.example./x").is_ok());
        assert!(policy.check("https://wco.example.evil.org/x").is_err());
        assert!(policy.check("https://hooks.partner.org/").is_err());
    }

    fn resolve(resolver: &FilteringResolver, name: &str) -> Result<Vec<SocketAddr>, String> {
        let name: Name = name.parse().unwrap();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(resolver.resolve(name))
            .map(|addrs| addrs.collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_name_resolving_to_an_internal_address_reaches_nothing() {
        let hosts = HashMap::from([
            (
                "127.0.0.1.nip.io".to_owned(),
                vec!["127.0.0.1".parse().unwrap()],
            ),
            (
                "metadata.example".to_owned(),
                vec!["100.100.100.200".parse().unwrap()],
            ),
            (
                "mixed.example".to_owned(),
                vec![
                    "93.184.215.14".parse().unwrap(),
                    "10.0.0.1".parse().unwrap(),
                ],
            ),
            (
                "hooks.partner.org".to_owned(),
                vec!["93.184.215.14".parse().unwrap()],
            ),
        ]);
        let resolver = FilteringResolver::new(TargetPolicy::default(), hosts);
        for internal in ["127.0.0.1.nip.io", "metadata.example", "mixed.example"] {
            let error = resolve(&resolver, internal).unwrap_err();
            assert!(error.contains("internal"), "{internal}: {error}");
        }
        assert_eq!(resolve(&resolver, "hooks.partner.org").unwrap().len(), 1);
    }
}
