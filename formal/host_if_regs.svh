// SPDX-License-Identifier: Apache-2.0
// Register semantics of spw_host_if, bound into the module's scope.
//
// scripts/formal.py includes this file just before spw_host_if's
// `endmodule` in a scratch copy of hdl/spw_host_if.v (yosys has no `bind`),
// so the properties see the module's registers.  The harness around it is
// host_if_axil.sv: the AXI master follows the protocol, the core side
// (busy_i, done_i, err_*_i, counters, mem_rdata_i) is free.
//
// The expected responses come from models/spec.py (REGS, the windows) via
// the generated spec_regs.svh, not from the RTL's own decode: a write or
// read is judged by the address the master sent, when its response rises.
//
// Properties (docs/formal.md, proof host_if_regs):
//   R1  response of every access: unmapped -> DECERR; write to RO -> SLVERR;
//       START while the core is busy -> SLVERR; memory window: beyond depth
//       -> DECERR, while busy -> SLVERR; else OKAY
//   R2  a register changes only through an OKAY write to it or through the
//       run end done_i reports; so a write that gets SLVERR or DECERR changes
//       nothing (and an access answered with an error issues no memory
//       request)
//   R3  IRQ_STATUS is write-1-to-clear: an OKAY write clears the bits written
//       as 1 (after WSTRB) and keeps the others; a bit is only ever set by a
//       run end (done_i), never by a write
//   R4  irq_o == |(IRQ_STATUS & IRQ_ENABLE), every cycle after reset
//   R5  START while idle gets OKAY, pulses start_o for one cycle and clears
//       STATUS.DONE/ERROR and ERR_CODE
//   R6  IRQ_ENABLE and START_PC take the written bytes (WSTRB) and keep the rest

`include "spec_regs.svh"

// ----------------------------------------------------------------------
// Ghost copies of the accepted AW/W/AR payloads, as the master sent them
// ----------------------------------------------------------------------
reg        f_past_valid = 1'b0;
reg [19:0] f_awaddr = 20'd0;
reg [31:0] f_wdata = 32'd0;
reg [3:0]  f_wstrb = 4'd0;
reg [19:0] f_araddr = 20'd0;
always @(posedge clk_i) begin
    f_past_valid <= 1'b1;
    if (s_axil_awvalid && s_axil_awready) f_awaddr <= s_axil_awaddr;
    if (s_axil_wvalid && s_axil_wready) begin
        f_wdata <= s_axil_wdata;
        f_wstrb <= s_axil_wstrb;
    end
    if (s_axil_arvalid && s_axil_arready) f_araddr <= s_axil_araddr;
end

// Induction helpers: the holding registers hold what the master sent.
always @* begin
    if (rst_ni) begin
        if (aw_full_q) h_awaddr: assert (aw_addr_q == f_awaddr);
        if (w_full_q) h_wdata: assert (w_data_q == f_wdata && w_strb_q == f_wstrb);
        if (ar_full_q) h_araddr: assert (ar_addr_q == f_araddr);
    end
end

// ----------------------------------------------------------------------
// Expected response of an access, from the spec
// ----------------------------------------------------------------------
// log2 of the 32-bit slots a word of BITS bits takes (spec.slots_per_word)
function integer f_slot_lg;
    input integer bits;
    begin
        f_slot_lg = 0;
        while ((32 << f_slot_lg) < bits) f_slot_lg = f_slot_lg + 1;
    end
endfunction
localparam integer F_A_LG = f_slot_lg(ROWS * 4);
localparam integer F_W_LG = f_slot_lg(COLS * 4);
localparam integer F_I_LG = f_slot_lg(64);
function f_in_win;
    input [31:0] a;
    input [31:0] base;
    f_in_win = a >= base && a < base + F_WINDOW_BYTES;
endfunction
localparam [31:0] F_ADEPTH = ADEPTH;
localparam [31:0] F_WDEPTH = WDEPTH;
localparam [31:0] F_IDEPTH = IDEPTH;

function [1:0] f_expect;
    input [19:0] a;
    input        is_wr;
    input        start_bit;     // a write of CTRL with bit 0 set (after WSTRB)
    input        busy;          // the core counts as busy (busy_i or start_o)
    reg   [2:0]  acc;
    reg   [31:0] a32;
    begin
        a32 = {12'd0, a};
        acc = f_spec_access({a[11:2], 2'b00});
        if (a32 >= F_REG_WINDOW_LO && a32 < F_REG_WINDOW_HI) begin
            if (acc == F_UNMAPPED)
                f_expect = 2'b11;
            else if (is_wr && acc == F_RO)
                f_expect = 2'b10;
            else if (is_wr && acc == F_W1S && start_bit && busy)
                f_expect = 2'b10;
            else
                f_expect = 2'b00;
        end else if (f_in_win(a32, F_AMEM_BASE) || f_in_win(a32, F_WMEM_BASE) ||
                     f_in_win(a32, F_IMEM_BASE)) begin
            // word = 32-bit slot inside the window / slots per word
            if (f_in_win(a32, F_AMEM_BASE) ? ((a32 - F_AMEM_BASE) >> (2 + F_A_LG)) >= F_ADEPTH :
                f_in_win(a32, F_WMEM_BASE) ? ((a32 - F_WMEM_BASE) >> (2 + F_W_LG)) >= F_WDEPTH :
                                             ((a32 - F_IMEM_BASE) >> (2 + F_I_LG)) >= F_IDEPTH)
                f_expect = 2'b11;
            else if (busy)
                f_expect = 2'b10;
            else
                f_expect = 2'b00;
        end else begin
            f_expect = 2'b11;   // neither a register nor a memory window
        end
    end
endfunction

// A response "rises" in the first cycle of its VALID.  spw_host_if executes
// a transaction in ST_IDLE: a write or a register/error read one cycle
// before its response rises, a memory read two (ST_RMEM in between).  After
// a response handshake the slave returns to ST_IDLE, so two responses are
// never back to back and a rise marks exactly one transaction.
reg  f_bvalid_q = 1'b0, f_rvalid_q = 1'b0;
always @(posedge clk_i) begin
    f_bvalid_q <= s_axil_bvalid;
    f_rvalid_q <= s_axil_rvalid;
end
wire f_b_rise = s_axil_bvalid && !f_bvalid_q;
wire f_r_rise = s_axil_rvalid && !f_rvalid_q;
// the written ones after WSTRB, and the bytes WSTRB keeps (registers use 15:0)
wire [15:0] f_ones = f_wdata[15:0] & {{8{f_wstrb[1]}}, {8{f_wstrb[0]}}};
wire [15:0] f_keep = ~{{8{f_wstrb[1]}}, {8{f_wstrb[0]}}};
wire [11:0] f_woff = {f_awaddr[11:2], 2'b00};
wire        f_wreg = {12'd0, f_awaddr} >= F_REG_WINDOW_LO && {12'd0, f_awaddr} < F_REG_WINDOW_HI;
wire        f_wr_ok = f_b_rise && s_axil_bresp == 2'b00 && f_wreg;
wire        f_start_wr = f_b_rise && f_wreg && f_woff == F_REG_CTRL && f_ones[0];
// the run-end event done_i reports: IRQ_STATUS bits it sets
wire [1:0]  f_ev = done_i ? {err_code_i != 4'd0, 1'b1} : 2'b00;

always @(posedge clk_i) begin
    if (f_past_valid && rst_ni && $past(rst_ni)) begin
        // R1: responses.  The payload of the access stays in f_* until its
        // response handshake (its channel is not ready before).
        if (f_b_rise)
            r1_bresp: assert (s_axil_bresp == f_expect(f_awaddr, 1'b1,
                                  f_wreg && f_woff == F_REG_CTRL && f_ones[0],
                                  $past(busy_i || start_o)));
        if (f_r_rise && $past(state_q) == ST_RMEM)
            r1_rresp_mem: assert (s_axil_rresp == f_expect(f_araddr, 1'b0, 1'b0,
                                                          $past(busy_i || start_o, 2)));
        if (f_r_rise && $past(state_q) != ST_RMEM)
            r1_rresp: assert (s_axil_rresp == f_expect(f_araddr, 1'b0, 1'b0,
                                                      $past(busy_i || start_o)));
        // an access answered with an error issues no memory request
        if (f_b_rise && s_axil_bresp != 2'b00)
            r2_no_mem_wr: assert (!$past(mem_req_o));
        if (f_r_rise && s_axil_rresp != 2'b00)
            r2_no_mem_rd: assert (!$past(mem_req_o));

        // R2 as a frame condition: a register changes only through an OKAY
        // write to it, or through the run end (done_i).  A write that gets
        // SLVERR/DECERR, any read and any memory access are therefore "no
        // write" for every register.
        if (!(f_wr_ok && f_woff == F_REG_START_PC))
            r2_start_pc: assert (start_pc_q == $past(start_pc_q));
        if (!(f_wr_ok && f_woff == F_REG_IRQ_ENABLE))
            r2_irq_en: assert (irq_en_q == $past(irq_en_q));
        if (!(f_wr_ok && f_woff == F_REG_IRQ_STATUS))
            r2_irq_st: assert (irq_st_q == ($past(irq_st_q) | $past(f_ev)));
        r2_err_pc: assert (err_pc_q == ($past(done_i) ? $past(err_pc_i) : $past(err_pc_q)));
        if (!(f_wr_ok && f_start_wr)) begin
            r2_no_start: assert (!start_o);
            r2_status: assert ({done_q, error_q, err_code_q} ==
                               ($past(done_i) ? {1'b1, $past(err_code_i) != 4'd0, $past(err_code_i)}
                                              : $past({done_q, error_q, err_code_q})));
        end

        // R3: IRQ_STATUS is write-1-to-clear; a run end in the same cycle wins
        if (f_wr_ok && f_woff == F_REG_IRQ_STATUS)
            r3_w1c: assert (irq_st_q == (($past(irq_st_q) & ~f_ones[1:0]) | $past(f_ev)));
        r3_set_by_done: assert ((irq_st_q & ~$past(irq_st_q)) == 2'b00 || $past(done_i));

        // R5: START while idle: OKAY, one start_o pulse, results cleared
        // (a run end in the same cycle loses: docs/isa.md, spw_host_if header)
        if (f_start_wr && !$past(busy_i || start_o)) begin
            r5_okay: assert (s_axil_bresp == 2'b00);
            r5_start: assert (start_o);
            r5_clear: assert (!done_q && !error_q && err_code_q == 4'd0);
        end
        if ($past(start_o))
            r5_pulse: assert (!start_o);
        // start_o is only ever high while the START write's own B response
        // waits: no transaction can execute in that cycle, so the start_q
        // term of core_busy never decides a response (busy_i is high from
        // the next cycle on in spw_top)
        if (start_o)
            r5_start_in_bresp: assert (state_q == ST_BRESP);

        // R6: RW registers take the written bytes (WSTRB) and keep the rest
        if (f_wr_ok && f_woff == F_REG_IRQ_ENABLE)
            r6_irq_en: assert (irq_en_q == (($past(irq_en_q) & f_keep[1:0]) | f_ones[1:0]));
        if (f_wr_ok && f_woff == F_REG_START_PC)
            r6_start_pc: assert (start_pc_q == (($past(start_pc_q) & f_keep) | f_ones));
    end
end

// R4: the interrupt output, every cycle out of reset
always @* begin
    if (rst_ni)
        r4_irq: assert (irq_o == |(irq_st_q & irq_en_q));
end

// ----------------------------------------------------------------------
// Covers: the antecedents happen
// ----------------------------------------------------------------------
always @(posedge clk_i) begin
    if (f_past_valid && rst_ni && $past(rst_ni)) begin
        c_ro_write: cover (f_b_rise && f_wreg && f_spec_access(f_woff) == F_RO);
        c_ro_write_done: cover (f_b_rise && f_wreg && f_spec_access(f_woff) == F_RO && $past(done_i));
        c_start_busy: cover (f_b_rise && f_wreg && f_woff == F_REG_CTRL && f_ones[0] && $past(busy_i));
        c_start_idle: cover (f_b_rise && f_wreg && f_woff == F_REG_CTRL && f_ones[0] && s_axil_bresp == 2'b00);
        c_w1c: cover (f_b_rise && s_axil_bresp == 2'b00 && f_woff == F_REG_IRQ_STATUS && f_wreg &&
                      $past(irq_st_q) == 2'b11 && irq_st_q == 2'b10);
        c_w1c_vs_done: cover (f_b_rise && s_axil_bresp == 2'b00 && f_woff == F_REG_IRQ_STATUS && f_wreg &&
                              f_ones[0] && $past(done_i) && irq_st_q[0]);
        c_irq: cover (irq_o && !$past(irq_o));
        c_irq_cleared: cover (!irq_o && $past(irq_o));
        c_mem_busy: cover (f_b_rise && !f_wreg && s_axil_bresp == 2'b10);
        c_mem_read: cover (f_r_rise && $past(state_q == ST_RMEM) && s_axil_rresp == 2'b00);
    end
end
