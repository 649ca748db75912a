//! Where webhooks may be sent: `http` or `https` URLs without credentials, to an
//! allow-listed host, or (with no allow-list) to any host but loopback, private, link-local
//! and unspecified addresses, so an endpoint cannot be pointed at the service's own network.

use std::net::IpAddr;

use reqwest::Url;

/// The configured allow-list of hosts.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    allowed_hosts: Vec<String>,
}

impl TargetPolicy {
    /// `hosts`: exact host names or addresses, or `*.example.org` for its subdomains.
    pub fn new(hosts: &[String]) -> Self {
        Self {
            allowed_hosts: hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
        }
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
        let host = parsed
            .host_str()
            .ok_or("must name a host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if self.allowed_hosts.is_empty() {
            if is_internal(&host) {
                return Err(format!(
                    "{host} is an internal address; allow-list it in `webhook_allowed_hosts` to use it"
                ));
            }
        } else if !self
            .allowed_hosts
            .iter()
            .any(|allowed| matches(allowed, &host))
        {
            return Err(format!("{host} is not among the allowed webhook hosts"));
        }
        Ok(parsed)
    }
}

fn matches(allowed: &str, host: &str) -> bool {
    match allowed.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => allowed == host,
    }
}

fn is_internal(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
        }
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_unique_local()
                || ip.is_unicast_link_local()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(&v4.to_string()))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_allow_list_internal_hosts_are_refused() {
        let open = TargetPolicy::default();
        assert!(open.check("https://hooks.partner.org/followup").is_ok());
        for refused in [
            "ftp://hooks.partner.org/",
            "https://user:pw@hooks.partner.org/",
            "http://127.0.0.1:9000/",
            "http://localhost/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "not a url",
        ] {
            assert!(open.check(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn an_allow_list_admits_only_its_hosts() {
        let policy = TargetPolicy::new(&["127.0.0.1".into(), "*.wco.example".into()]);
        assert!(policy.check("http://127.0.0.1:9000/hook").is_ok());
        assert!(policy.check("https://hooks.wco.example/x").is_ok());
        assert!(policy.check("https://wco.example.evil.org/x").is_err());
        assert!(policy.check("https://hooks.partner.org/").is_err());
    }
}
