//! The verbs of `nwcap capture`, each a call or two of `nwcap-arm`, and
//! what they print. Errors that leave something running (a wait that
//! timed out, a name in use) say so and give the command to run next, with
//! the flags that reach the same watcher.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use nwcap_arm::types::{CaptureStatus, PacketCaptureStatus};
use nwcap_arm::{ArmError, Raw, WatcherRef};

use super::conn::{Conn, Output};
use super::{Verb, WaitFlags, output, print, start};
use crate::cmd::target::quote;
use crate::global::{EXIT_PARTIAL, Global};

pub(super) async fn run(verb: Verb, mut conn: Conn, global: &Global) -> anyhow::Result<ExitCode> {
    match verb {
        Verb::Start {
            start,
            wait,
            wait_done,
            no_wait,
        } => {
            let name = start.name.get().to_owned();
            let target = start.target(&conn, global.quiet).await?;
            let props = start.properties(&conn, &target).await?;
            let warnings = nwcap_arm::validate::check_properties(&props, &conn.arm.api_version)?;
            for w in warnings {
                eprintln!("nwcap: warning: {w}");
            }
            if let Some(os) = &target.os {
                nwcap_arm::validate::check_paths_for_os(&props, os)?;
            }
            let watcher = conn
                .arm
                .watcher_for_target(&target.name, &target.location)
                .await?;
            if global.verbose > 1 {
                let body = nwcap_arm::create_body(&props);
                eprintln!("nwcap: request body: {body}");
            }
            let flags = conn.arm.flags(&watcher);
            let created = if no_wait {
                conn.arm
                    .client
                    .begin_create_capture(&watcher, &name, &props)
                    .await
            } else {
                conn.arm
                    .client
                    .create_capture(&watcher, &name, &props)
                    .await
            };
            let created = created
                .with_context(|| format!("starting capture {name}"))
                .map_err(|e| {
                    if start::is_name_conflict(&e) {
                        e.context(format!(
                            "hint: delete it first with 'nwcap capture delete {}{flags}', or choose another name",
                            quote(&name)
                        ))
                    } else {
                        e
                    }
                })
                .map_err(hint_last)?;
            match conn.output {
                Output::Table => print(&output::capture_table(&created.value))?,
                Output::Json if !wait_done => print(&output::json(&created.json))?,
                Output::Json => {}
            }
            if no_wait && !global.quiet {
                eprintln!(
                    "nwcap: {name} accepted; follow it with 'nwcap capture status {}{flags}'",
                    quote(&name)
                );
            }
            if !wait_done {
                return Ok(ExitCode::SUCCESS);
            }
            conn.arm
                .set_poll(wait.interval()?, Duration::from_secs(wait.timeout));
            wait_for(&conn, &watcher, &name, &wait, global).await
        }
        Verb::Show { name } => {
            let name = name.get();
            let watcher = conn.arm.watcher_for_capture(name).await?;
            let pc = conn.arm.client.get_capture(&watcher, name).await?;
            print(&match conn.output {
                Output::Table => output::capture_table(&pc.value),
                Output::Json => output::json(&pc.json),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::Status { name } => {
            let name = name.get();
            let watcher = conn.arm.watcher_for_capture(name).await?;
            let st = conn.arm.client.capture_status(&watcher, name).await?;
            print_status(&conn, &st)?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::List => {
            let watchers = conn.arm.watchers_to_list().await?;
            let mut items = Vec::new();
            for w in &watchers {
                for item in conn.arm.client.list_captures(w).await? {
                    items.push((w.clone(), item));
                }
            }
            print(&match conn.output {
                Output::Table => output::list_table(&items, watchers.len() > 1),
                Output::Json => output::json(&serde_json::Value::Array(
                    items.into_iter().map(|(_, r)| r.json).collect(),
                )),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Verb::Stop { name, no_wait } => {
            let name = name.get();
            let watcher = conn.arm.watcher_for_capture(name).await?;
            if no_wait {
                conn.arm.client.begin_stop_capture(&watcher, name).await?;
            } else {
                conn.arm.client.stop_capture(&watcher, name).await?;
            }
            if conn.output == Output::Table {
                let verb = if no_wait { "stopping" } else { "stopped" };
                print(&format!("{verb} {name}\n"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Verb::Delete {
            name,
            if_exists,
            no_wait,
        } => delete(&conn, name.get(), if_exists, no_wait).await,
        Verb::Wait { name, wait } => {
            let name = name.get();
            let watcher = conn.arm.watcher_for_capture(name).await?;
            wait_for(&conn, &watcher, name, &wait, global).await
        }
    }
}

/// Moves a trailing `hint:` context (added last, shown first by anyhow)
/// to the end of the message, where people look for it.
fn hint_last(e: anyhow::Error) -> anyhow::Error {
    let text = e.to_string();
    if let Some(hint) = text.strip_prefix("hint: ") {
        let rest: Vec<String> = e.chain().skip(1).map(ToString::to_string).collect();
        return anyhow::anyhow!("{}\nhint: {hint}", rest.join(": "));
    }
    e
}

async fn delete(
    conn: &Conn,
    name: &str,
    if_exists: bool,
    no_wait: bool,
) -> anyhow::Result<ExitCode> {
    // The API answers 204 for a name that does not exist: look first.
    let watcher = match conn.arm.watcher_for_capture(name).await {
        Ok(w) => w,
        Err(e) if conn_has_no_capture(conn, name).await => {
            if !if_exists {
                return Err(e.context(
                    "nothing to delete (--if-exists makes a missing capture not an error)",
                ));
            }
            if conn.output == Output::Table {
                print(&format!("no capture {name}: nothing to delete\n"))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e),
    };
    match conn.arm.client.get_capture(&watcher, name).await {
        Ok(_) => {}
        Err(e) if e.status() == Some(404) && if_exists => {
            if conn.output == Output::Table {
                print(&format!("no capture {name}: nothing to delete\n"))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) if e.status() == Some(404) => {
            return Err(anyhow::Error::new(e).context(format!(
                "no capture {name} on network watcher {}/{}: nothing to delete \
                 (--if-exists makes a missing capture not an error)",
                watcher.resource_group, watcher.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    if no_wait {
        conn.arm.client.begin_delete_capture(&watcher, name).await?;
    } else {
        conn.arm.client.delete_capture(&watcher, name).await?;
    }
    if conn.output == Output::Table {
        let verb = if no_wait { "deleting" } else { "deleted" };
        print(&format!("{verb} {name} (files in storage are kept)\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether finding the watcher failed because no watcher has the capture
/// (not for another reason, such as no watcher at all or no access).
async fn conn_has_no_capture(conn: &Conn, name: &str) -> bool {
    match conn.arm.watchers_to_list().await {
        Ok(ws) => {
            for w in ws {
                match conn.arm.client.get_capture(&w, name).await {
                    Err(e) if e.status() == Some(404) => {}
                    _ => return false,
                }
            }
            true
        }
        Err(_) => false,
    }
}

fn print_status(conn: &Conn, st: &Raw<PacketCaptureStatus>) -> anyhow::Result<()> {
    print(&match conn.output {
        Output::Table => output::status_table(&st.value),
        Output::Json => output::json(&st.json),
    })
}

async fn wait_for(
    conn: &Conn,
    watcher: &WatcherRef,
    name: &str,
    flags: &WaitFlags,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    let mut last: Option<CaptureStatus> = None;
    let quiet = global.quiet;
    let done = conn
        .arm
        .client
        .wait_capture(
            watcher,
            name,
            flags.interval()?,
            Duration::from_secs(flags.timeout),
            |st| {
                if !quiet
                    && st.packet_capture_status != last
                    && let Some(s) = &st.packet_capture_status
                {
                    eprintln!("nwcap: {name}: {s} ({})", s.describe());
                }
                last = st.packet_capture_status.clone();
            },
        )
        .await;
    let done = match done {
        Ok(d) => d,
        Err(ArmError::Timeout { seconds, .. }) => {
            let state = last.as_ref().map_or_else(
                || "in an unknown state".to_owned(),
                |s| format!("{s} ({})", s.describe()),
            );
            let flags = conn.arm.flags(watcher);
            let q = quote(name);
            bail!(
                "timed out after {seconds} s waiting for capture {name} to stop; it is still {state}\n\
                 hint: keep waiting with 'nwcap capture wait {q}{flags}', or stop it now with \
                 'nwcap capture stop {q}{flags}'"
            );
        }
        Err(e) => return Err(e.into()),
    };
    print_status(conn, &done)?;
    Ok(match done.value.packet_capture_status {
        Some(CaptureStatus::Error) => ExitCode::from(EXIT_PARTIAL),
        _ => ExitCode::SUCCESS,
    })
}
