// SPDX-License-Identifier: Apache-2.0
// spw_drain implements drain_model (docs/formal.md, proof drain).
//
// Included by scripts/formal.py before spw_drain's `endmodule` in a scratch
// copy of hdl/spw_drain.v.  The drain's inputs are free except for the two
// guarantees the sequencer proof (seq_props.svh, g_*) shows: a capture only
// while cap_ok is high, and 1 <= NCOLS <= COLS in every capture.
//   D1  cap_ok_o and quiet_o equal drain_model's, every cycle, so the
//       sequencer proof may use the model in place of the drain.
// Helper invariants (h_*) tie the model's state to the drain's registers.

reg f_past_valid = 1'b0;
always @(posedge clk_i) f_past_valid <= 1'b1;
initial assume (!rst_ni);

wire [9:0]              f_left;
wire [`SPW_REQ_LAT-1:0] f_pend;
wire                    f_cap_ok, f_quiet;
drain_model #(.COLS(COLS)) f_model (
    .clk_i(clk_i), .rst_ni(rst_ni), .cap_i(cap_i), .ncols_i(cap_ncols_i), .acc_i(acc_mode_i),
    .left_o(f_left), .pend_o(f_pend), .cap_ok_o(f_cap_ok), .quiet_o(f_quiet)
);

// the sequencer's guarantees
always @* begin
    if (rst_ni && cap_i) begin
        assume (cap_ok_o);
        assume (cap_ncols_i >= 7'd1 && {25'd0, cap_ncols_i} <= COLS);
    end
end

always @* begin
    if (rst_ni) begin
        d1_cap_ok: assert (cap_ok_o == f_cap_ok);
        d1_quiet: assert (quiet_o == f_quiet);
        h_left: assert (f_left == (active_q ? {{(6-LC){1'b0}}, n_q - k_q} : 10'd0));
        h_count: assert (!active_q || k_q < n_q);
        h_pend: assert (f_pend == pend_q);
    end
end

always @(posedge clk_i) begin
    if (f_past_valid && rst_ni) begin
        c_acc: cover (cap_i && acc_mode_i && cap_ncols_i == COLS);
        c_back_to_back: cover (cap_i && active_q);
        c_quiet_again: cover (quiet_o && $past(!quiet_o));
    end
end
